#include "remiss/core/base/civil_date.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "date/tz.h"

namespace remiss::core {
namespace {

const date::time_zone* Stockholm() {
  static const date::time_zone* zone = date::locate_zone("Europe/Stockholm");
  return zone;
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

}  // namespace

absl::StatusOr<absl::CivilDay> ParseCivilDate(absl::string_view field, absl::string_view value) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", why, " (got \"", value, "\", want YYYY-MM-DD)"));
  };
  if (value.empty()) return bad("is required");
  if (value.size() != 10 || value[4] != '-' || value[7] != '-' ||
      !AllDigits(value.substr(0, 4)) || !AllDigits(value.substr(5, 2)) ||
      !AllDigits(value.substr(8, 2))) {
    return bad("is not a date");
  }
  int y = std::stoi(std::string(value.substr(0, 4)));
  int m = std::stoi(std::string(value.substr(5, 2)));
  int d = std::stoi(std::string(value.substr(8, 2)));
  if (y < 1900 || y > 2999) return bad("year out of range");
  absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) return bad("no such day");
  return day;
}

std::string FormatCivilDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::CivilDay StockholmDate(absl::Time t) {
  auto sys = std::chrono::time_point_cast<std::chrono::seconds>(absl::ToChronoTime(t));
  auto local = date::make_zoned(Stockholm(), sys).get_local_time();
  date::year_month_day ymd{date::floor<date::days>(local)};
  return absl::CivilDay(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()));
}

absl::Time EndOfStockholmDay(absl::CivilDay day) {
  absl::CivilDay next = day + 1;
  date::local_days local = date::local_days{date::year{static_cast<int>(next.year())} /
                                            next.month() / next.day()};
  // Midnight always exists in Stockholm (changes happen at 02:00/03:00).
  auto sys = date::make_zoned(Stockholm(), local, date::choose::earliest).get_sys_time();
  return absl::FromChrono(std::chrono::system_clock::time_point(sys));
}

}  // namespace remiss::core
