#include "remiss/notices/policy.h"

namespace remiss::notices {

// The list: every reader and the operator (who repairs what failed); retry and skip: KS's
// registry and the operator, as an operator repairs a parked feed event.
core::ServicePolicy NoticesServicePolicy() {
  using core::Allow;
  std::vector<std::string> readers = core::Readers();
  readers.push_back("operator");
  const std::vector<std::string> repairers = {"ks", "operator"};
  return {.service = "remiss.v1.NoticesService",
          .rules = {
      {"ListNotices", Allow(readers)},
      {"RetryNotice", Allow(repairers)},
      {"SkipNotice", Allow(repairers)},
          }};
}

}  // namespace remiss::notices
