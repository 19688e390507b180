// Checks every command's request the same way before any domain sees it, by walking the
// message with protobuf reflection: every string is valid UTF-8 with no C0/C1 control
// characters (tab and newline only in fields marked (remiss.v1.long_text)) and no
// bidirectional overrides or isolates; every repeated field has at most limits::kRepeatedItems
// items. Refusals are INVALID_ARGUMENT naming the field path ("statement.remarks[2].text")
// and quoting the input escaped, never raw. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace remiss::core {

// OK, or INVALID_ARGUMENT naming the first offending field.
[[nodiscard]] absl::Status CheckRequest(const google::protobuf::Message& request);

// The text checks of one value: `multiline` allows '\n' and '\t'.
[[nodiscard]] absl::Status CheckText(absl::string_view field, absl::string_view value,
                                     bool multiline);

// `value` in double quotes, at most `max_chars` characters of it (then "…"), with control
// characters, bidirectional controls and invalid UTF-8 escaped (\n, \x00, \u202e), so that
// it is safe to print in an error message, a log or a terminal.
[[nodiscard]] std::string Quote(absl::string_view value, size_t max_chars = 60);

// `text` with control characters, bidirectional controls and invalid UTF-8 escaped, for
// messages that may carry a caller's input (every gRPC error leaves through it).
[[nodiscard]] std::string EscapeUnsafe(absl::string_view text);

// The field of `message` that holds the most bytes (strings and bytes, searched through
// nested messages), as a path and its size; {"", 0} when there is none.
struct FieldSize {
  std::string path;
  size_t bytes = 0;
};
[[nodiscard]] FieldSize LargestField(const google::protobuf::Message& message);

}  // namespace remiss::core
