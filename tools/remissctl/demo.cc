#include "tools/remissctl/demo.h"

#include <iostream>

#include "tools/remissctl/errors.h"

namespace remissctl {

int RunDemo(const Options& o, const std::vector<std::string>& args) {
  throw UsageError("the demo is not written yet");
}

}  // namespace remissctl
