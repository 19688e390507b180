#include "remiss/core/base/civil_date.h"

#include <gtest/gtest.h>

namespace remiss::core {
namespace {

absl::Time Utc(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::UTCTimeZone());
}

TEST(CivilDate, ParsesRealDatesOnly) {
  auto d = ParseCivilDate("deadline", "2021-02-26");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, absl::CivilDay(2021, 2, 26));
  EXPECT_TRUE(ParseCivilDate("deadline", "2024-02-29").ok());
  for (const char* bad : {"", "2021-02-30", "2021-2-3", "26/02/2021", "2021-02-26T00:00", "x"}) {
    auto r = ParseCivilDate("deadline", bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message().substr(0, 9), "deadline:") << r.status();
  }
}

TEST(CivilDate, FormatsAsIsoDate) {
  EXPECT_EQ(FormatCivilDate(absl::CivilDay(2023, 12, 20)), "2023-12-20");
}

TEST(CivilDate, StockholmDateFollowsLocalMidnight) {
  // Winter (CET, UTC+1): 23:30 UTC is already the next day in Stockholm.
  EXPECT_EQ(StockholmDate(Utc(2021, 2, 26, 22, 59)), absl::CivilDay(2021, 2, 26));
  EXPECT_EQ(StockholmDate(Utc(2021, 2, 26, 23, 0)), absl::CivilDay(2021, 2, 27));
  // Summer (CEST, UTC+2).
  EXPECT_EQ(StockholmDate(Utc(2021, 6, 1, 22, 0)), absl::CivilDay(2021, 6, 2));
}

TEST(CivilDate, ADayEndsAtLocalMidnightAcrossDaylightSaving) {
  EXPECT_EQ(EndOfStockholmDay(absl::CivilDay(2021, 2, 26)), Utc(2021, 2, 26, 23, 0));
  // 28 March 2021 has 23 hours; its end is summer time.
  EXPECT_EQ(EndOfStockholmDay(absl::CivilDay(2021, 3, 27)), Utc(2021, 3, 27, 23, 0));
  EXPECT_EQ(EndOfStockholmDay(absl::CivilDay(2021, 3, 28)), Utc(2021, 3, 28, 22, 0));
  // 31 October 2021 has 25 hours.
  EXPECT_EQ(EndOfStockholmDay(absl::CivilDay(2021, 10, 30)), Utc(2021, 10, 30, 22, 0));
  EXPECT_EQ(EndOfStockholmDay(absl::CivilDay(2021, 10, 31)), Utc(2021, 10, 31, 23, 0));
}

}  // namespace
}  // namespace remiss::core
