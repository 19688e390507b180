// A notice as an Internet message (RFC 5322, MIME): multipart/alternative, plain text and
// HTML in UTF-8 (base64), the subject and display names as RFC 2047 encoded words when not
// plain ASCII, and the headers a registry files by and an auto-responder stops at:
// Message-ID (<notice.<event_id>@<domain>>, the same on every try), Auto-Submitted:
// auto-generated, X-Remiss-Case, X-Remiss-Notice. The same parts always give the same bytes
// (the Date is the notice's queuing time, the boundary derived from its id). Pure.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace remiss::notices {

struct MessageParts {
  std::string from_address;  // "remiss@stockholm.se"
  std::string from_name;     // "Remisstjänsten"
  std::string to_address;
  std::string to_name;
  std::string subject;
  std::string text;
  std::string html;
  std::string message_id;    // with its angle brackets
  std::string case_number;   // X-Remiss-Case
  std::string notice_id;     // X-Remiss-Notice; also seeds the MIME boundary
  absl::Time date;
};

// The whole message, CRLF line ends, ready for SMTP DATA.
[[nodiscard]] std::string BuildMessage(const MessageParts& parts);

// `text` as an unstructured header's value (RFC 2047): as it is when it is printable ASCII,
// else UTF-8 "B" encoded words of at most 75 characters, folded onto continuation lines, each
// holding whole characters. `used` is how much of the first line the header's name takes.
[[nodiscard]] std::string EncodeHeaderText(absl::string_view text, size_t used);

}  // namespace remiss::notices
