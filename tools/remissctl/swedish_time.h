// Dates and times as people in Stockholm read them: "2021-02-26 16:00", Europe/Stockholm.
#pragma once

#include <optional>
#include <string>

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

namespace remissctl {

// "2021-02-26 16:00" in Europe/Stockholm; "" for an unset (zero) timestamp.
std::string SwedishDateTime(const google::protobuf::Timestamp& ts);

// Accepts RFC 3339 ("2021-02-26T16:00:00+01:00", "...Z"), or a Stockholm local time
// "2021-02-26 16:00", "2021-02-26T16:00", or a date "2021-02-26" (midnight, Stockholm).
std::optional<google::protobuf::Timestamp> ParseInstant(const std::string& text);

// Accepts "86400s", "90m", "2h30m", "1d", "3d12h" (d = 24 hours).
std::optional<google::protobuf::Duration> ParseDurationText(const std::string& text);

}  // namespace remissctl
