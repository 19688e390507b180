#include "remiss/core/base/keys.h"

#include "absl/strings/str_cat.h"

namespace remiss::core {

std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t DecodeU64(absl::string_view bytes) {
  if (bytes.size() < 8) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

std::string TopicFor(absl::string_view source) {
  return absl::StrCat("remiss.", source, ".events.v1");
}

}  // namespace remiss::core
