#include "remiss/deadlines/calendar.h"

namespace remiss::deadlines {
namespace {

// The first day on or after `from` that falls on `weekday`.
absl::CivilDay FirstOnOrAfter(absl::CivilDay from, absl::Weekday weekday) {
  absl::CivilDay day = from;
  while (absl::GetWeekday(day) != weekday) day += 1;
  return day;
}

// Midsommardagen: the Saturday from 20 to 26 June.
absl::CivilDay Midsommardagen(int year) {
  return FirstOnOrAfter(absl::CivilDay(year, 6, 20), absl::Weekday::saturday);
}

// Alla helgons dag: the Saturday from 31 October to 6 November.
absl::CivilDay AllaHelgonsDag(int year) {
  return FirstOnOrAfter(absl::CivilDay(year, 10, 31), absl::Weekday::saturday);
}

}  // namespace

absl::CivilDay EasterSunday(int year) {
  // The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const int a = year % 19;
  const int b = year / 100;
  const int c = year % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return absl::CivilDay(year, month, day);
}

std::string PublicHolidayName(absl::CivilDay day) {
  const int year = static_cast<int>(day.year());
  const int month = day.month();
  const int dom = day.day();

  // Fixed dates.
  if (month == 1 && dom == 1) return "Nyårsdagen";
  if (month == 1 && dom == 6) return "Trettondedag jul";
  if (month == 5 && dom == 1) return "Första maj";
  if (month == 6 && dom == 6) return "Sveriges nationaldag";
  if (month == 12 && dom == 25) return "Juldagen";
  if (month == 12 && dom == 26) return "Annandag jul";

  // Easter and the days hanging on it (late March to mid June).
  if (month >= 3 && month <= 6) {
    const absl::CivilDay easter = EasterSunday(year);
    const absl::civil_diff_t offset = day - easter;
    switch (offset) {
      case -2: return "Långfredagen";
      case 0: return "Påskdagen";
      case 1: return "Annandag påsk";
      case 39: return "Kristi himmelsfärdsdag";
      case 49: return "Pingstdagen";
      default: break;
    }
  }

  // Saturdays fixed by a window of dates.
  if (month == 6 && day == Midsommardagen(year)) return "Midsommardagen";
  if ((month == 10 || month == 11) && day == AllaHelgonsDag(year)) return "Alla helgons dag";

  return "";
}

bool IsNonWorkingDay(absl::CivilDay day) {
  const absl::Weekday weekday = absl::GetWeekday(day);
  if (weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday) return true;
  if (!PublicHolidayName(day).empty()) return true;
  const int month = day.month();
  const int dom = day.day();
  if (month == 12 && (dom == 24 || dom == 31)) return true;  // julafton, nyårsafton
  if (month == 6 && day + 1 == Midsommardagen(static_cast<int>(day.year()))) {
    return true;  // midsommarafton
  }
  return false;
}

absl::CivilDay NextWorkingDay(absl::CivilDay day) {
  while (IsNonWorkingDay(day)) day += 1;
  return day;
}

absl::CivilDay EffectiveDate(absl::CivilDay stated, bool working_day_rule) {
  return working_day_rule ? NextWorkingDay(stated) : stated;
}

}  // namespace remiss::deadlines
