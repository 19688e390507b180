// The one derivation of a round's id from its case number, and the diary number rules every
// domain uses (core/ids.h, core/validation.h).
#include "remiss/core/base/ids.h"

#include <gtest/gtest.h>

#include "remiss/core/base/limits.h"
#include "remiss/core/base/validation.h"

namespace remiss::core {
namespace {

TEST(NormalizeReferralId, LowerCaseLettersAndDigitsEachRunOfTheRestOneDash) {
  EXPECT_EQ(NormalizeReferralId("KS 2019/1939"), "ks-2019-1939");
  EXPECT_EQ(NormalizeReferralId("KS2019/1939"), "ks2019-1939");
  EXPECT_EQ(NormalizeReferralId("N2015/06917/PUB"), "n2015-06917-pub");
  EXPECT_EQ(NormalizeReferralId("Dnr 1.2.3-456/2020"), "dnr-1-2-3-456-2020");
  EXPECT_EQ(NormalizeReferralId("2019-001939"), "2019-001939");
  EXPECT_EQ(NormalizeReferralId("SÖ 2021/5"), "sö-2021-5");
  EXPECT_EQ(NormalizeReferralId("  /KS  2019//1939/ "), "ks-2019-1939");
  EXPECT_EQ(NormalizeReferralId("KS 2019 × 1939"), "ks-2019-1939");  // × is no letter
  EXPECT_EQ(NormalizeReferralId(""), "");
}

TEST(NormalizeReferralId, AnIdIsItsOwnId) {
  for (const char* id : {"ks-2019-1939", "n2015-06917-pub", "sö-2021-5", "2019-001939"}) {
    EXPECT_EQ(NormalizeReferralId(id), id);
  }
  EXPECT_EQ(NormalizeReferralId("KS-2019-1939"), "ks-2019-1939");
}

TEST(DiaryNumber, YearIsTheFirstFourDigitGroupWithinRange) {
  EXPECT_EQ(DiaryNumberYear("KS 2019/1939"), 2019);
  EXPECT_EQ(DiaryNumberYear("N2015/06917/PUB"), 2015);
  EXPECT_EQ(DiaryNumberYear("Dnr 1.2.3-456/2020"), 2020);
  EXPECT_EQ(DiaryNumberYear("KS 3000/2021"), 2021);
  EXPECT_EQ(DiaryNumberYear("KS 12/345"), 0);
}

TEST(MaxCount, NamesTheFieldAndTheCap) {
  EXPECT_TRUE(MaxCount("statement.remarks", limits::kRemarks, limits::kRemarks).ok());
  absl::Status s = MaxCount("statement.remarks", limits::kRemarks + 1, limits::kRemarks);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "statement.remarks: at most 200 items (got 201)");
}

}  // namespace
}  // namespace remiss::core
