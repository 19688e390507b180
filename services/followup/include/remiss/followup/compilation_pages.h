// A round's compilation (sammanställning) by board, in pages: the server cuts one version's
// compilation into pages of boards (CutCompilationPage, SliceCompilation) and every client
// appends the pages back into the whole (AppendCompilationPage): the console and remissctl
// link this one library. A page holds its boards' answers, their remarks by topic and the
// party statements they made; the counts (standpoints) and not_answered are the whole's, on
// every page. Pure functions on messages; thread-safe.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "remiss/v1/followup_events.pb.h"

namespace remiss::followup {

// The boards of `whole` in `org_ids` (the answers' org ids; others are ignored): their
// answers, their remarks (topics without one left out), their party statements with
// party_statement_refs indexing within the page, and an old frozen version's
// statements_by_party sliced the same way; referral_id, case_number, title, standpoints and
// not_answered as in `whole`.
[[nodiscard]] remiss::v1::Compilation SliceCompilation(const remiss::v1::Compilation& whole,
                                                       const std::set<std::string>& org_ids);

// Appends the next page to `whole` (empty: the first page): answers after answers, remarks
// merged by topic in topic order, party statements after party statements with the page's
// references shifted to match, statements_by_party appended per party; referral_id,
// case_number, title, standpoints and not_answered are the page's (every page has the
// whole's). Appending the pages of one version in order gives that version's compilation.
void AppendCompilationPage(remiss::v1::Compilation* whole, const remiss::v1::Compilation& page);

// What a board adds to a page of `whole`, in serialized bytes (an upper estimate): its answer,
// remarks (with their topic), party statements (with their references) and copies under
// statements_by_party. One per answer, in the answers' order.
[[nodiscard]] std::vector<size_t> BoardBytes(const remiss::v1::Compilation& whole);

// Where one page ends. `whole`'s answers are in org id order (as BuildCompilation makes
// them); the page starts after `start_after` (empty: at the first board) and takes at most
// `page_size` boards, stopping before the board that would take `fixed_bytes` plus the
// boards' BoardBytes over `budget_bytes`, but always taking at least one board.
struct CompilationPageCut {
  std::set<std::string> org_ids;  // the page's boards
  std::string last_org_id;        // the page's last board; empty when it has none
  bool more = false;              // a board follows the page
};
[[nodiscard]] CompilationPageCut CutCompilationPage(const remiss::v1::Compilation& whole,
                                                    const std::string& start_after, int page_size,
                                                    size_t fixed_bytes, size_t budget_bytes);

}  // namespace remiss::followup
