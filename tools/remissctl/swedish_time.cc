#include "tools/remissctl/swedish_time.h"

#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace remissctl {
namespace {

const absl::TimeZone& Stockholm() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone tz;
    if (!absl::LoadTimeZone("Europe/Stockholm", &tz)) tz = absl::FixedTimeZone(3600);
    return tz;
  }();
  return zone;
}

}  // namespace

std::string SwedishDateTime(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  absl::Time t = absl::FromUnixSeconds(ts.seconds());
  return absl::FormatTime("%Y-%m-%d %H:%M", t, Stockholm());
}

std::optional<google::protobuf::Timestamp> ParseInstant(const std::string& text) {
  absl::Time t;
  std::string err;
  bool ok = absl::ParseTime(absl::RFC3339_full, text, &t, &err);
  if (!ok) {
    for (const char* fmt : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                            "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
      if (absl::ParseTime(fmt, text, Stockholm(), &t, &err)) {
        ok = true;
        break;
      }
    }
  }
  if (!ok) return std::nullopt;
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

std::optional<google::protobuf::Duration> ParseDurationText(const std::string& text) {
  // Days first ("3d12h"), then what absl understands ("12h", "90m", "86400s").
  int64_t days = 0;
  std::string rest = text;
  size_t d = rest.find('d');
  if (d != std::string::npos) {
    if (!absl::SimpleAtoi(rest.substr(0, d), &days)) return std::nullopt;
    rest = rest.substr(d + 1);
  }
  absl::Duration dur = absl::Hours(24 * days);
  if (!rest.empty()) {
    absl::Duration more;
    if (!absl::ParseDuration(rest, &more)) return std::nullopt;
    dur += more;
  }
  google::protobuf::Duration out;
  out.set_seconds(absl::ToInt64Seconds(dur));
  return out;
}

}  // namespace remissctl
