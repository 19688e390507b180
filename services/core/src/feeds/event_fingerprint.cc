#include "remiss/core/feeds/event_fingerprint.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "remiss/core/store/projection.h"

namespace remiss::core {

std::string EventFingerprint(const remiss::v1::EventEnvelope& event) {
  const std::string bytes = DeterministicBytes(event);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &md_len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(md), std::min<unsigned int>(md_len, 16)));
}

}  // namespace remiss::core
