// The Swedish calendar for deadlines: Easter, the public holidays, the days treated like
// them, and when a deadline on a given day is actually due.
#include "remiss/deadlines/calendar.h"

#include <string>

#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "remiss/core/base/civil_date.h"

namespace remiss::deadlines {
namespace {

using absl::CivilDay;

// --- Easter -------------------------------------------------------------------------------

TEST(EasterSunday, MatchesKnownDates) {
  struct Case {
    int year;
    CivilDay easter;
  };
  const Case cases[] = {
      {1818, CivilDay(1818, 3, 22)},  // the earliest possible date
      {1943, CivilDay(1943, 4, 25)},  // the latest possible date
      {2000, CivilDay(2000, 4, 23)},  {2008, CivilDay(2008, 3, 23)},
      {2011, CivilDay(2011, 4, 24)},  {2019, CivilDay(2019, 4, 21)},
      {2020, CivilDay(2020, 4, 12)},  {2021, CivilDay(2021, 4, 4)},
      {2022, CivilDay(2022, 4, 17)},  {2023, CivilDay(2023, 4, 9)},
      {2024, CivilDay(2024, 3, 31)},  {2025, CivilDay(2025, 4, 20)},
      {2026, CivilDay(2026, 4, 5)},   {2027, CivilDay(2027, 3, 28)},
      {2038, CivilDay(2038, 4, 25)},  {2285, CivilDay(2285, 3, 22)},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EasterSunday(c.year), c.easter) << c.year;
  }
}

TEST(EasterSunday, IsAlwaysASundayBetween22MarchAnd25April) {
  for (int year = 1583; year <= 4099; ++year) {
    const CivilDay easter = EasterSunday(year);
    ASSERT_EQ(easter.year(), year);
    ASSERT_EQ(absl::GetWeekday(easter), absl::Weekday::sunday) << easter;
    ASSERT_GE(easter, CivilDay(year, 3, 22)) << easter;
    ASSERT_LE(easter, CivilDay(year, 4, 25)) << easter;
  }
}

TEST(PublicHolidays, TheHolidaysHangingOnEaster) {
  struct Case {
    int year;
    CivilDay langfredagen, annandag_pask, kristi_himmelsfard, pingstdagen;
  };
  const Case cases[] = {
      {2021, CivilDay(2021, 4, 2), CivilDay(2021, 4, 5), CivilDay(2021, 5, 13),
       CivilDay(2021, 5, 23)},
      {2022, CivilDay(2022, 4, 15), CivilDay(2022, 4, 18), CivilDay(2022, 5, 26),
       CivilDay(2022, 6, 5)},
      {2024, CivilDay(2024, 3, 29), CivilDay(2024, 4, 1), CivilDay(2024, 5, 9),
       CivilDay(2024, 5, 19)},
      {2025, CivilDay(2025, 4, 18), CivilDay(2025, 4, 21), CivilDay(2025, 5, 29),
       CivilDay(2025, 6, 8)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.year);
    EXPECT_EQ(PublicHolidayName(c.langfredagen), "Långfredagen");
    EXPECT_EQ(PublicHolidayName(EasterSunday(c.year)), "Påskdagen");
    EXPECT_EQ(PublicHolidayName(c.annandag_pask), "Annandag påsk");
    EXPECT_EQ(PublicHolidayName(c.kristi_himmelsfard), "Kristi himmelsfärdsdag");
    EXPECT_EQ(PublicHolidayName(c.pingstdagen), "Pingstdagen");
    EXPECT_EQ(absl::GetWeekday(c.langfredagen), absl::Weekday::friday);
    EXPECT_EQ(absl::GetWeekday(c.kristi_himmelsfard), absl::Weekday::thursday);
    EXPECT_EQ(absl::GetWeekday(c.pingstdagen), absl::Weekday::sunday);
    // Skärtorsdagen and Påskafton are neither public holidays nor named.
    EXPECT_EQ(PublicHolidayName(c.langfredagen - 1), "");
    EXPECT_FALSE(IsNonWorkingDay(c.langfredagen - 1));
    EXPECT_EQ(PublicHolidayName(c.langfredagen + 1), "");
  }
}

// --- Midsommar and Alla helgons dag ----------------------------------------------------------

TEST(PublicHolidays, MidsommardagenAndMidsommarafton) {
  struct Case {
    CivilDay dagen, afton;
  };
  const Case cases[] = {
      {CivilDay(2020, 6, 20), CivilDay(2020, 6, 19)},  // earliest possible
      {CivilDay(2021, 6, 26), CivilDay(2021, 6, 25)},  // latest possible
      {CivilDay(2022, 6, 25), CivilDay(2022, 6, 24)},
      {CivilDay(2023, 6, 24), CivilDay(2023, 6, 23)},
      {CivilDay(2024, 6, 22), CivilDay(2024, 6, 21)},
      {CivilDay(2025, 6, 21), CivilDay(2025, 6, 20)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dagen);
    EXPECT_EQ(PublicHolidayName(c.dagen), "Midsommardagen");
    EXPECT_TRUE(IsNonWorkingDay(c.dagen));
    // Midsommarafton is no public holiday but counts as one for deadlines.
    EXPECT_EQ(PublicHolidayName(c.afton), "");
    EXPECT_TRUE(IsNonWorkingDay(c.afton));
    // The Thursday before is an ordinary working day.
    EXPECT_FALSE(IsNonWorkingDay(c.afton - 1));
    // Only one Saturday in the window is Midsommardagen.
    EXPECT_EQ(PublicHolidayName(c.dagen - 7), "");
    EXPECT_EQ(PublicHolidayName(c.dagen + 7), "");
  }
}

TEST(PublicHolidays, AllaHelgonsDag) {
  for (CivilDay day : {CivilDay(2021, 11, 6), CivilDay(2022, 11, 5), CivilDay(2023, 11, 4),
                       CivilDay(2024, 11, 2), CivilDay(2025, 11, 1), CivilDay(2026, 10, 31)}) {
    EXPECT_EQ(PublicHolidayName(day), "Alla helgons dag") << day;
    EXPECT_EQ(PublicHolidayName(day - 7), "") << day;
    EXPECT_EQ(PublicHolidayName(day + 7), "") << day;
    // Allhelgonaafton (the Friday) is an ordinary working day.
    EXPECT_FALSE(IsNonWorkingDay(day - 1)) << day;
  }
}

// --- Names ------------------------------------------------------------------------------------

TEST(PublicHolidayName, NamesEveryHolidayOf2021) {
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 1, 1)), "Nyårsdagen");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 1, 6)), "Trettondedag jul");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 4, 2)), "Långfredagen");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 4, 4)), "Påskdagen");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 4, 5)), "Annandag påsk");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 5, 1)), "Första maj");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 5, 13)), "Kristi himmelsfärdsdag");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 5, 23)), "Pingstdagen");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 6, 6)), "Sveriges nationaldag");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 6, 26)), "Midsommardagen");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 11, 6)), "Alla helgons dag");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 12, 25)), "Juldagen");
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 12, 26)), "Annandag jul");
}

TEST(PublicHolidayName, ThirteenNamedDaysInAnOrdinaryYear) {
  int named = 0;
  for (CivilDay day(2021, 1, 1); day.year() == 2021; ++day) {
    if (!PublicHolidayName(day).empty()) {
      ++named;
      EXPECT_TRUE(IsNonWorkingDay(day)) << day;
    }
  }
  EXPECT_EQ(named, 13);
}

TEST(PublicHolidayName, EmptyForOrdinaryDaysAndTheEves) {
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 3, 10)), "");   // a Wednesday
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 3, 7)), "");    // an ordinary Sunday
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 3, 6)), "");    // an ordinary Saturday
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 12, 24)), "");  // julafton
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 12, 31)), "");  // nyårsafton
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 6, 25)), "");   // midsommarafton
  EXPECT_EQ(PublicHolidayName(CivilDay(2021, 4, 30)), "");   // valborgsmässoafton
}

TEST(PublicHolidayName, FirstOfMayOnAscensionDayIsStillAHoliday) {
  // 2008: Easter on 23 March, so Kristi himmelsfärd fell on 1 May.
  EXPECT_EQ(EasterSunday(2008) + 39, CivilDay(2008, 5, 1));
  EXPECT_FALSE(PublicHolidayName(CivilDay(2008, 5, 1)).empty());
  EXPECT_TRUE(IsNonWorkingDay(CivilDay(2008, 5, 1)));
  EXPECT_EQ(NextWorkingDay(CivilDay(2008, 5, 1)), CivilDay(2008, 5, 2));
}

// --- Deadlines --------------------------------------------------------------------------------

TEST(EffectiveDate, GoodFridayMovesPastEasterWithTheRule) {
  // Fri 2 Apr 2021 Långfredagen, Sat 3, Sun 4 Påskdagen, Mon 5 Annandag påsk.
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 4, 2), true), CivilDay(2021, 4, 6));
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 4, 2), false), CivilDay(2021, 4, 2));
}

TEST(EffectiveDate, SaturdayMovesToMonday) {
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 3, 6), true), CivilDay(2021, 3, 8));
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 3, 7), true), CivilDay(2021, 3, 8));
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 3, 6), false), CivilDay(2021, 3, 6));
}

TEST(EffectiveDate, JulaftonMovesPastChristmas) {
  // 2021: Fri 24 julafton, Sat 25 Juldagen, Sun 26 Annandag jul, Mon 27 working.
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 12, 24), true), CivilDay(2021, 12, 27));
  // 2020: Thu 24 julafton, Fri 25 Juldagen, Sat 26 Annandag jul, Sun 27, Mon 28.
  EXPECT_EQ(EffectiveDate(CivilDay(2020, 12, 24), true), CivilDay(2020, 12, 28));
  // 2025: Wed 24 julafton, Thu 25, Fri 26, Sat 27, Sun 28, Mon 29.
  EXPECT_EQ(EffectiveDate(CivilDay(2025, 12, 24), true), CivilDay(2025, 12, 29));
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 12, 24), false), CivilDay(2021, 12, 24));
}

TEST(EffectiveDate, NyarsaftonMovesIntoTheNextYear) {
  // 2021: Fri 31 Dec nyårsafton, Sat 1 Jan Nyårsdagen, Sun 2 Jan, Mon 3 Jan.
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 12, 31), true), CivilDay(2022, 1, 3));
  // 2022: Sat 31 Dec, Sun 1 Jan 2023, Mon 2 Jan.
  EXPECT_EQ(EffectiveDate(CivilDay(2022, 12, 31), true), CivilDay(2023, 1, 2));
}

TEST(EffectiveDate, AroundKristiHimmelsfard) {
  // Wed 12 May 2021, the day before, is a working day; the holiday itself moves to the
  // Friday (a "klämdag" is a working day under the law).
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 5, 12), true), CivilDay(2021, 5, 12));
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 5, 13), true), CivilDay(2021, 5, 14));
}

TEST(EffectiveDate, NationalDayOnAWeekday) {
  // Tue 6 June 2023.
  EXPECT_EQ(EffectiveDate(CivilDay(2023, 6, 6), true), CivilDay(2023, 6, 7));
  EXPECT_EQ(EffectiveDate(CivilDay(2023, 6, 6), false), CivilDay(2023, 6, 6));
}

TEST(EffectiveDate, OtherFixedHolidaysOnWeekdays) {
  EXPECT_EQ(EffectiveDate(CivilDay(2022, 1, 6), true), CivilDay(2022, 1, 7));  // Thu
  EXPECT_EQ(EffectiveDate(CivilDay(2024, 5, 1), true), CivilDay(2024, 5, 2));  // Wed
}

TEST(EffectiveDate, MidsommaraftonMovesToMonday) {
  // Fri 21 June 2024 midsommarafton, Sat 22 Midsommardagen, Sun 23, Mon 24.
  EXPECT_EQ(EffectiveDate(CivilDay(2024, 6, 21), true), CivilDay(2024, 6, 24));
}

TEST(EffectiveDate, OrdinaryWednesdayStays) {
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 3, 10), true), CivilDay(2021, 3, 10));
  EXPECT_EQ(EffectiveDate(CivilDay(2021, 3, 10), false), CivilDay(2021, 3, 10));
  EXPECT_EQ(NextWorkingDay(CivilDay(2021, 3, 10)), CivilDay(2021, 3, 10));
}

TEST(NextWorkingDay, IsTheFirstWorkingDayOnOrAfter) {
  for (CivilDay day(2020, 1, 1); day < CivilDay(2027, 1, 1); ++day) {
    const CivilDay next = NextWorkingDay(day);
    ASSERT_GE(next, day);
    ASSERT_FALSE(IsNonWorkingDay(next)) << day;
    for (CivilDay between = day; between < next; ++between) {
      ASSERT_TRUE(IsNonWorkingDay(between)) << day;
    }
    // The longest runs: Easter's four days, and Christmas when julafton is a Wednesday
    // (24-28 December 2025).
    ASSERT_LE(next - day, 5) << day;
  }
}

// --- Due instant across daylight saving -------------------------------------------------------

absl::Time Utc(int y, int m, int d, int hh) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), absl::UTCTimeZone());
}

TEST(DueInstant, LastSaturdayOfMarchIsDueAtMidnightCet) {
  // Summer time starts Sun 28 Mar 2021 at 02:00; midnight ending the Saturday is still CET.
  const CivilDay due = EffectiveDate(CivilDay(2021, 3, 27), false);
  EXPECT_EQ(core::EndOfStockholmDay(due), Utc(2021, 3, 27, 23));
  // With the rule it moves to Monday 29 March, which ends in summer time.
  const CivilDay moved = EffectiveDate(CivilDay(2021, 3, 27), true);
  EXPECT_EQ(moved, CivilDay(2021, 3, 29));
  EXPECT_EQ(core::EndOfStockholmDay(moved), Utc(2021, 3, 29, 22));
  // The switch day itself ends in summer time.
  EXPECT_EQ(core::EndOfStockholmDay(CivilDay(2021, 3, 28)), Utc(2021, 3, 28, 22));
}

TEST(DueInstant, LastSaturdayOfOctoberIsDueAtMidnightCest) {
  // Summer time ends Sun 31 Oct 2021 at 03:00; midnight ending the Saturday is still CEST.
  const CivilDay due = EffectiveDate(CivilDay(2021, 10, 30), false);
  EXPECT_EQ(core::EndOfStockholmDay(due), Utc(2021, 10, 30, 22));
  // With the rule it moves to Monday 1 November, which ends in winter time.
  const CivilDay moved = EffectiveDate(CivilDay(2021, 10, 30), true);
  EXPECT_EQ(moved, CivilDay(2021, 11, 1));
  EXPECT_EQ(core::EndOfStockholmDay(moved), Utc(2021, 11, 1, 23));
  // The switch day itself ends in winter time.
  EXPECT_EQ(core::EndOfStockholmDay(CivilDay(2021, 10, 31)), Utc(2021, 10, 31, 23));
}

}  // namespace
}  // namespace remiss::deadlines
