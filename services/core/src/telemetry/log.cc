#include "remiss/core/telemetry/log.h"

#include <iostream>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "remiss/core/telemetry/tracing.h"

namespace remiss::core {

std::string JsonLine(absl::string_view service, absl::string_view event,
                     const std::vector<std::pair<std::string, std::string>>& fields,
                     absl::string_view traceparent) {
  auto quote = [](absl::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            absl::StrAppend(&out, "\\u00", absl::BytesToHexString(absl::string_view(&c, 1)));
          } else {
            out += c;
          }
      }
    }
    out += '"';
    return out;
  };
  std::string line = absl::StrCat(
      "{\"ts\":", quote(absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone())),
      ",\"service\":", quote(service), ",\"event\":", quote(event));
  for (const auto& [k, v] : fields) absl::StrAppend(&line, ",", quote(k), ":", quote(v));
  if (std::optional<tracing::SpanContext> c = tracing::ParseTraceparent(traceparent)) {
    absl::StrAppend(&line, ",\"trace_id\":", quote(c->TraceIdHex()), ",\"span_id\":",
                    quote(c->SpanIdHex()));
  }
  line += "}\n";
  return line;
}

void LogJson(absl::string_view service, absl::string_view event,
             const std::vector<std::pair<std::string, std::string>>& fields,
             absl::string_view traceparent) {
  std::cerr << JsonLine(service, event, fields, traceparent);
}


void LogMessage(absl::string_view service, absl::string_view event, absl::string_view message) {
  LogJson(service, event, {{"message", std::string(message)}});
}

}  // namespace remiss::core
