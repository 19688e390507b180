#include "remiss/core/ids.h"

#include "absl/strings/ascii.h"

namespace remiss::core {

std::string NormalizeReferralId(absl::string_view value) {
  if (value.find(' ') == absl::string_view::npos) return absl::AsciiStrToLower(value);
  std::string id;
  id.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == ' ' || c == '/') {
      id.push_back('-');
    } else if (c == 0xC3 && i + 1 < value.size()) {
      // Latin-1 capitals in UTF-8 (C3 80..C3 9E, but not × = C3 97) lower-case by +0x20:
      // Å -> å, Ä -> ä, Ö -> ö.
      unsigned char next = static_cast<unsigned char>(value[i + 1]);
      if (next >= 0x80 && next <= 0x9E && next != 0x97) next += 0x20;
      id.push_back(static_cast<char>(c));
      id.push_back(static_cast<char>(next));
      ++i;
    } else {
      id.push_back(absl::ascii_tolower(c));
    }
  }
  return id;
}

}  // namespace remiss::core
