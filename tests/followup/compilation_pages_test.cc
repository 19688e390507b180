// A round's compilation by board (issue 25, finding 3): the pages the service cuts, appended
// back by a client, give the whole compilation again, live (party statements once, with
// references) and frozen before the references existed (copies under statements_by_party);
// each board on exactly one page, pages cut by count and by bytes.
#include "remiss/followup/compilation_pages.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/domain_assertions.h"

namespace remiss::followup {
namespace {

using remiss::testing::ProtoIs;
using remiss::v1::Compilation;

const std::vector<std::string> kTopics = {"ekonomi", "struktur", "trygghet", "uppföljning"};
const std::vector<std::string> kParties = {"C", "KD", "L", "M", "MP", "S", "SD", "V"};

// `boards` boards in org id order, as BuildCompilation makes them: board i answers with
// i % 4 remarks (on topics chosen by i), i % 3 party statements of up to five parties, and
// `remark_bytes` of text in each remark. `old_frozen`: statements copied under every party
// (statements_by_party) as compilations frozen before party_statements hold them.
Compilation MakeCompilation(int boards, size_t remark_bytes, bool old_frozen) {
  Compilation c;
  c.set_referral_id("ks-2019-1939");
  c.set_case_number("KS 2019/1939");
  c.set_title("Stockholms stads trygghetsprogram 2020-2023");
  std::map<std::string, std::vector<remiss::v1::CompiledRemark>> remarks;
  for (int i = 0; i < boards; ++i) {
    const std::string org = absl::StrCat("board-", 1000 + i);
    auto* a = c.add_answers();
    a->set_org_id(org);
    a->set_org_name(absl::StrCat("Nämnd ", i));
    a->set_standpoint(i % 2 == 0 ? "STANDPOINT_POSITIVE" : "STANDPOINT_NEGATIVE");
    a->set_summary(absl::StrCat("Sammanfattning ", i));
    (*c.mutable_standpoints())[a->standpoint()] += 1;
    for (int r = 0; r < i % 4; ++r) {
      remiss::v1::CompiledRemark remark;
      remark.set_org_id(org);
      remark.set_text(std::string(remark_bytes, static_cast<char>('a' + r)));
      remarks[kTopics[(i + r) % kTopics.size()]].push_back(remark);
    }
    for (int s = 0; s < i % 3; ++s) {
      remiss::v1::PartyStatement st;
      st.set_org_id(org);
      st.set_kind(s == 0 ? "reservation" : "special statement");
      for (int p = 0; p < 1 + (i + s) % 5; ++p) st.add_parties(kParties[(i * 3 + p) % kParties.size()]);
      st.set_text(absl::StrCat("Yrkande ", i, ".", s));
      if (old_frozen) {
        for (const auto& party : st.parties()) *(*c.mutable_statements_by_party())[party].add_statements() = st;
      } else {
        const int index = c.party_statements_size();
        std::set<std::string> seen;
        for (const auto& party : st.parties()) {
          if (seen.insert(party).second) (*c.mutable_party_statement_refs())[party].add_indexes(index);
        }
        *c.add_party_statements() = st;
      }
    }
  }
  for (auto& [topic, list] : remarks) {
    auto* t = c.add_remarks_by_topic();
    t->set_topic(topic);
    for (auto& r : list) *t->add_remarks() = r;
  }
  c.add_not_answered("board-0999");
  c.add_not_answered("board-9999");
  return c;
}

// The whole read page by page as a client does; the org ids of each page.
Compilation ReadInPages(const Compilation& whole, int page_size, size_t fixed, size_t budget,
                        std::vector<std::vector<std::string>>* pages) {
  Compilation merged;
  std::string after;
  for (int n = 0; n <= whole.answers_size() + 1; ++n) {
    CompilationPageCut cut = CutCompilationPage(whole, after, page_size, fixed, budget);
    Compilation page = SliceCompilation(whole, cut.org_ids);
    EXPECT_EQ(page.standpoints_size(), whole.standpoints_size()) << "the counts on every page";
    EXPECT_EQ(page.not_answered_size(), whole.not_answered_size()) << "not_answered on every page";
    std::vector<std::string> ids;
    for (const auto& a : page.answers()) ids.push_back(a.org_id());
    pages->push_back(ids);
    AppendCompilationPage(&merged, page);
    if (!cut.more) return merged;
    EXPECT_FALSE(cut.org_ids.empty());
    after = cut.last_org_id;
  }
  ADD_FAILURE() << "the pages never ended";
  return merged;
}

TEST(CompilationPages, SlicedIntoPagesAndAppendedTheyGiveBackTheWholeLiveCompilation) {
  const Compilation whole = MakeCompilation(23, 40, /*old_frozen=*/false);
  ASSERT_GT(whole.party_statements_size(), 10);
  for (int page_size : {1, 2, 5, 7, 23, 50}) {
    std::vector<std::vector<std::string>> pages;
    Compilation merged = ReadInPages(whole, page_size, 0, 1 << 30, &pages);
    EXPECT_TRUE(ProtoIs(merged, whole)) << "page size " << page_size;
    EXPECT_EQ(pages.size(), static_cast<size_t>((23 + page_size - 1) / page_size)) << page_size;
    for (const auto& ids : pages) EXPECT_LE(ids.size(), static_cast<size_t>(page_size));
  }
}

TEST(CompilationPages, AnOldFrozenVersionsStatementsByPartyAreSlicedAndAppendedTheSameWay) {
  const Compilation whole = MakeCompilation(17, 30, /*old_frozen=*/true);
  ASSERT_GT(whole.statements_by_party_size(), 4);
  ASSERT_TRUE(whole.party_statements().empty());
  for (int page_size : {1, 3, 4, 17}) {
    std::vector<std::vector<std::string>> pages;
    Compilation merged = ReadInPages(whole, page_size, 0, 1 << 30, &pages);
    EXPECT_TRUE(ProtoIs(merged, whole)) << "page size " << page_size;
  }
}

TEST(CompilationPages, APageHoldsOnlyItsBoardsPartsWithReferencesWithinThePage) {
  const Compilation whole = MakeCompilation(12, 10, /*old_frozen=*/false);
  const Compilation page = SliceCompilation(whole, {"board-1005", "board-1008"});
  ASSERT_EQ(page.answers_size(), 2);
  EXPECT_EQ(page.answers(0).org_id(), "board-1005");
  EXPECT_EQ(page.answers(1).org_id(), "board-1008");
  for (const auto& topic : page.remarks_by_topic()) {
    EXPECT_FALSE(topic.remarks().empty()) << topic.topic();
    for (const auto& r : topic.remarks()) EXPECT_TRUE(r.org_id() == "board-1005" || r.org_id() == "board-1008");
  }
  ASSERT_FALSE(page.party_statements().empty());
  for (const auto& s : page.party_statements()) {
    EXPECT_TRUE(s.org_id() == "board-1005" || s.org_id() == "board-1008") << s.org_id();
  }
  for (const auto& [party, refs] : page.party_statement_refs()) {
    for (int i : refs.indexes()) {
      ASSERT_LT(i, page.party_statements_size()) << party;
      bool names = false;
      for (const auto& p : page.party_statements(i).parties()) names |= p == party;
      EXPECT_TRUE(names) << party << " is not a party of statement " << i;
    }
  }
  EXPECT_EQ(page.case_number(), "KS 2019/1939");
  EXPECT_EQ(page.not_answered_size(), 2);
}

// Boards of about 10 KB each against a budget of 35 KB: pages stop before the board that
// would go over it (so each page is under it), a page of one board over the budget is still
// a page, and every board is on exactly one page.
TEST(CompilationPages, PagesStopBeforeTheBoardThatWouldTakeThemOverTheByteBudget) {
  const Compilation whole = MakeCompilation(20, 5000, /*old_frozen=*/false);
  const size_t budget = 35000, fixed = 1000;
  std::vector<std::vector<std::string>> pages;
  Compilation merged = ReadInPages(whole, 500, fixed, budget, &pages);
  EXPECT_TRUE(ProtoIs(merged, whole));
  EXPECT_GT(pages.size(), 3u);
  std::set<std::string> seen;
  for (const auto& ids : pages) {
    ASSERT_FALSE(ids.empty());
    std::set<std::string> on_page(ids.begin(), ids.end());
    const size_t bytes = SliceCompilation(whole, on_page).ByteSizeLong();
    if (ids.size() > 1) EXPECT_LE(bytes + fixed, budget) << ids.front();
    for (const auto& id : ids) EXPECT_TRUE(seen.insert(id).second) << id << " twice";
  }
  EXPECT_EQ(seen.size(), 20u);

  // One board bigger than the budget is a page of its own.
  pages.clear();
  merged = ReadInPages(whole, 500, fixed, 2000, &pages);
  EXPECT_TRUE(ProtoIs(merged, whole));
  EXPECT_EQ(pages.size(), 20u);
}

TEST(CompilationPages, ACompilationWithoutAnswersIsOnePageWithItsCountsAndNotAnswered) {
  Compilation whole = MakeCompilation(0, 0, false);
  std::vector<std::vector<std::string>> pages;
  EXPECT_TRUE(ProtoIs(ReadInPages(whole, 50, 0, 1 << 20, &pages), whole));
  EXPECT_EQ(pages.size(), 1u);
}

}  // namespace
}  // namespace remiss::followup
