// libFuzzer: a caller's identity from arbitrary SAN URIs, and the own-organization check on
// an arbitrary command. No crash, no sanitizer report; a parsed caller always has a known role
// and a non-empty organization.
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "remiss/core/server/caller.h"
#include "remiss/core/server/policy.h"
#include "remiss/v1/responses.pb.h"

// Quiet: protobuf logs every string field with invalid UTF-8 it refuses to parse.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t cut = input.find('\n');
  const std::string uri = input.substr(0, cut);
  auto caller = remiss::core::ParseSpiffeId(uri, "remiss.local");
  if (caller.ok()) {
    if (caller->org_id.empty() || !remiss::core::IsKnownRole(caller->role)) std::abort();
    remiss::v1::SubmitResponseRequest request;
    if (cut != std::string::npos && request.ParseFromString(input.substr(cut + 1))) {
      absl::Status s = remiss::core::CheckOwnOrganization(*caller, "org_id", request);
      if (caller->role == "board" && s.ok() && request.org_id() != caller->org_id) std::abort();
    }
  }
  return 0;
}
