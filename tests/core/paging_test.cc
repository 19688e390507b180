// The one paging mechanism every List query uses: page_size and page_token are checked the
// same way, pages walk a key range once each in key order, and no page examines more than
// its budget of entries, however few of them are rows.
#include "remiss/core/server/paging.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

class PagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = EventStore::Open({.path = dir_.Sub("store"), .source = "referrals", .clock = &clock_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  // Rows "row/0000" ... with the value "yes" where `is_row(i)`, else "no".
  void Put(int n, const std::function<bool(int)>& is_row = [](int) { return true; }) {
    ASSERT_TRUE(store_->Execute({}, [&](Tx& tx) {
                       for (int i = 0; i < n; ++i) {
                         tx.Put(absl::StrFormat("row/%04d", i), is_row(i) ? "yes" : "no");
                       }
                       tx.Put("rox/after-the-range", "yes");
                       return absl::OkStatus();
                     }).ok());
  }
  // One page: its rows and how many entries it examined.
  struct Got {
    std::vector<std::string> rows;
    int examined = 0;
    std::string next;
  };
  Got One(const PageQuery& q, int32_t size, const std::string& token) {
    Got got;
    auto page = StartPage(q, size, token);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return got;
    got.next = ScanPage(*store_, *page, [&](absl::string_view key, absl::string_view value, bool room) {
      ++got.examined;
      if (value != "yes") return false;
      if (room) got.rows.emplace_back(key);
      return true;
    });
    return got;
  }
  // Every page from the first; each page's rows in one vector.
  std::vector<Got> Walk(const PageQuery& q, int32_t size) {
    std::vector<Got> pages;
    std::string token;
    do {
      pages.push_back(One(q, size, token));
      token = pages.back().next;
    } while (!token.empty() && pages.size() < 100);
    return pages;
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 9, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<EventStore> store_;
  const PageQuery rows_{.name = "ListRows", .filters = {"all"}, .prefix = "row/"};
};

TEST_F(PagingTest, PagesWalkTheRangeOnceEachInKeyOrderAndTheLastHasNoToken) {
  Put(5);
  std::vector<Got> pages = Walk(rows_, 2);
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0].rows, (std::vector<std::string>{"row/0000", "row/0001"}));
  EXPECT_EQ(pages[1].rows, (std::vector<std::string>{"row/0002", "row/0003"}));
  EXPECT_EQ(pages[2].rows, (std::vector<std::string>{"row/0004"}));
  EXPECT_FALSE(pages[0].next.empty());
  EXPECT_TRUE(pages[2].next.empty());
}

TEST_F(PagingTest, AFullPageWithNothingAfterItIsTheLast) {
  Put(4);
  std::vector<Got> pages = Walk(rows_, 2);
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[1].rows.size(), 2u);
  EXPECT_TRUE(pages[1].next.empty());
  // Nor does a full page promise more when only non-rows follow it.
  Put(6, [](int i) { return i < 4; });
  pages = Walk(rows_, 2);
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_TRUE(pages[1].next.empty());
}

TEST_F(PagingTest, PageSizeZeroIsTheDefaultAndOutsideTheRangeIsRefusedNamingIt) {
  auto page = StartPage(rows_, 0, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size, kDefaultPageSize);
  EXPECT_EQ(page->budget, kMinScanBudget);
  for (int32_t bad : {-1, kMaxPageSize + 1, 100000}) {
    auto refused = StartPage(rows_, bad, "");
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.status().message(),
              absl::StrCat("page_size: must be between 0 and 500 (got ", bad, ")"));
  }
  EXPECT_EQ(StartPage(rows_, kMaxPageSize, "")->budget, kScanBudgetPerRow * kMaxPageSize);
}

TEST_F(PagingTest, ATokenThatDoesNotDecodeOrBelongsToAnotherQueryIsRefusedNamingIt) {
  Put(5);
  const std::string token = One(rows_, 2, "").next;
  ASSERT_FALSE(token.empty());
  for (const std::string& garbage : {std::string("not a token!"), std::string("ks-2019-1939"),
                                     std::string("AQ"), std::string(5000, 'A'),
                                     token.substr(0, token.size() - 1) + "!"}) {
    auto refused = StartPage(rows_, 2, garbage);
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << garbage;
    EXPECT_TRUE(absl::StartsWith(refused.status().message(), "page_token: ")) << refused.status();
  }
  PageQuery other_filter = rows_;
  other_filter.filters = {"some"};
  PageQuery other_rpc = rows_;
  other_rpc.name = "ListOtherRows";
  PageQuery other_range = rows_;
  other_range.prefix = "rox/";
  for (const PageQuery& q : {other_filter, other_rpc, other_range}) {
    auto refused = StartPage(q, 2, token);
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(refused.status().message(), "page_token: belongs to another query"))
        << refused.status();
  }
  // The same query with another page size goes on where it was.
  EXPECT_EQ(One(rows_, 3, token).rows, (std::vector<std::string>{"row/0002", "row/0003", "row/0004"}));
}

TEST_F(PagingTest, APageExaminesAtMostItsBudgetAndSaysWhereToGoOnEvenWhenEmpty) {
  // 2,500 entries of which every 1,200th is a row: a page of 1 examines at most 1,000.
  Put(2500, [](int i) { return i % 1200 == 0; });
  std::vector<Got> pages = Walk(rows_, 1);
  std::vector<std::string> rows;
  for (const Got& p : pages) {
    EXPECT_LE(p.examined, kMinScanBudget);
    rows.insert(rows.end(), p.rows.begin(), p.rows.end());
  }
  EXPECT_EQ(rows, (std::vector<std::string>{"row/0000", "row/1200", "row/2400"}));
  bool an_empty_page_goes_on = false;
  for (const Got& p : pages) an_empty_page_goes_on |= p.rows.empty() && !p.next.empty();
  EXPECT_TRUE(an_empty_page_goes_on);
  EXPECT_TRUE(pages.back().next.empty());
}

TEST_F(PagingTest, TheRangeEndsBeforeEndBeforeWhichIsNotPartOfTheQuerysIdentity) {
  Put(6);
  PageQuery bounded = rows_;
  bounded.end_before = "row/0004";
  std::vector<Got> pages = Walk(bounded, 2);
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[1].rows, (std::vector<std::string>{"row/0002", "row/0003"}));
  EXPECT_TRUE(pages[1].next.empty());
  // A bound that moved (a clock that moved on) still takes the token.
  const std::string token = One(bounded, 2, "").next;
  bounded.end_before = "row/0005";
  EXPECT_EQ(One(bounded, 2, token).rows, (std::vector<std::string>{"row/0002", "row/0003"}));
}

}  // namespace
}  // namespace remiss::core
