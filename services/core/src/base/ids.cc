#include "remiss/core/base/ids.h"

#include "absl/strings/ascii.h"

namespace remiss::core {

std::string NormalizeReferralId(absl::string_view value) {
  std::string id;
  id.reserve(value.size());
  bool gap = false;  // a run of anything but letters and digits since the last one kept
  auto keep = [&](absl::string_view bytes) {
    if (gap && !id.empty()) id.push_back('-');
    gap = false;
    id.append(bytes.data(), bytes.size());
  };
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (absl::ascii_isalnum(c)) {
      const char lower = absl::ascii_tolower(c);
      keep(absl::string_view(&lower, 1));
    } else if (c == 0xC3 && i + 1 < value.size() &&
               static_cast<unsigned char>(value[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(value[i + 1]) <= 0xBF &&
               static_cast<unsigned char>(value[i + 1]) != 0x97 &&
               static_cast<unsigned char>(value[i + 1]) != 0xB7) {
      // A Latin-1 letter in UTF-8 (C3 80-BF but × and ÷); capitals (C3 80-9E) lower-case by
      // +0x20: Å -> å, Ä -> ä, Ö -> ö.
      unsigned char next = static_cast<unsigned char>(value[i + 1]);
      if (next <= 0x9E) next += 0x20;
      const char letter[2] = {static_cast<char>(c), static_cast<char>(next)};
      keep(absl::string_view(letter, 2));
      ++i;
    } else {
      gap = true;
    }
  }
  return id;
}

}  // namespace remiss::core
