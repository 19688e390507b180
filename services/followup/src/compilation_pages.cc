#include "remiss/followup/compilation_pages.h"

#include <algorithm>
#include <map>

namespace remiss::followup {
namespace {

using remiss::v1::Compilation;

// A field's tag and length prefix, at most (the estimate errs on the large side).
constexpr size_t kFieldOverhead = 8;

void CopyWholeParts(const Compilation& from, Compilation* to) {
  to->set_referral_id(from.referral_id());
  to->set_case_number(from.case_number());
  to->set_title(from.title());
  *to->mutable_standpoints() = from.standpoints();
  *to->mutable_not_answered() = from.not_answered();
}

}  // namespace

Compilation SliceCompilation(const Compilation& whole, const std::set<std::string>& org_ids) {
  Compilation page;
  CopyWholeParts(whole, &page);
  auto on_page = [&org_ids](const std::string& org_id) { return org_ids.count(org_id) > 0; };
  for (const auto& answer : whole.answers()) {
    if (on_page(answer.org_id())) *page.add_answers() = answer;
  }
  for (const auto& topic : whole.remarks_by_topic()) {
    remiss::v1::RemarksOnTopic kept;
    for (const auto& remark : topic.remarks()) {
      if (on_page(remark.org_id())) *kept.add_remarks() = remark;
    }
    if (kept.remarks().empty()) continue;
    kept.set_topic(topic.topic());
    *page.add_remarks_by_topic() = std::move(kept);
  }
  std::map<int, int> index_on_page;  // the whole's index -> the page's
  for (int i = 0; i < whole.party_statements_size(); ++i) {
    if (!on_page(whole.party_statements(i).org_id())) continue;
    index_on_page[i] = page.party_statements_size();
    *page.add_party_statements() = whole.party_statements(i);
  }
  for (const auto& [party, refs] : whole.party_statement_refs()) {
    remiss::v1::PartyStatementRefs kept;
    for (int index : refs.indexes()) {
      auto it = index_on_page.find(index);
      if (it != index_on_page.end()) kept.add_indexes(it->second);
    }
    if (!kept.indexes().empty()) (*page.mutable_party_statement_refs())[party] = std::move(kept);
  }
  for (const auto& [party, list] : whole.statements_by_party()) {
    remiss::v1::PartyList kept;
    for (const auto& statement : list.statements()) {
      if (on_page(statement.org_id())) *kept.add_statements() = statement;
    }
    if (!kept.statements().empty()) (*page.mutable_statements_by_party())[party] = std::move(kept);
  }
  return page;
}

void AppendCompilationPage(Compilation* whole, const Compilation& page) {
  CopyWholeParts(page, whole);
  for (const auto& answer : page.answers()) *whole->add_answers() = answer;
  auto* topics = whole->mutable_remarks_by_topic();
  for (const auto& topic : page.remarks_by_topic()) {
    auto at = std::lower_bound(topics->begin(), topics->end(), topic.topic(),
                               [](const remiss::v1::RemarksOnTopic& t, const std::string& name) {
                                 return t.topic() < name;
                               });
    if (at != topics->end() && at->topic() == topic.topic()) {
      for (const auto& remark : topic.remarks()) *at->add_remarks() = remark;
      continue;
    }
    const int position = static_cast<int>(at - topics->begin());
    *topics->Add() = topic;
    for (int i = topics->size() - 1; i > position; --i) topics->SwapElements(i, i - 1);
  }
  const int offset = whole->party_statements_size();
  for (const auto& statement : page.party_statements()) *whole->add_party_statements() = statement;
  for (const auto& [party, refs] : page.party_statement_refs()) {
    auto& into = (*whole->mutable_party_statement_refs())[party];
    for (int index : refs.indexes()) into.add_indexes(index + offset);
  }
  for (const auto& [party, list] : page.statements_by_party()) {
    auto& into = (*whole->mutable_statements_by_party())[party];
    for (const auto& statement : list.statements()) *into.add_statements() = statement;
  }
}

std::vector<size_t> BoardBytes(const Compilation& whole) {
  std::map<std::string, size_t> bytes;  // by org id
  for (const auto& topic : whole.remarks_by_topic()) {
    for (const auto& remark : topic.remarks()) {
      bytes[remark.org_id()] += remark.ByteSizeLong() + topic.topic().size() + 3 * kFieldOverhead;
    }
  }
  for (const auto& statement : whole.party_statements()) {
    size_t refs = 0;
    for (const auto& party : statement.parties()) refs += party.size() + 3 * kFieldOverhead;
    bytes[statement.org_id()] += statement.ByteSizeLong() + kFieldOverhead + refs;
  }
  for (const auto& [party, list] : whole.statements_by_party()) {
    for (const auto& statement : list.statements()) {
      bytes[statement.org_id()] += statement.ByteSizeLong() + party.size() + 3 * kFieldOverhead;
    }
  }
  std::vector<size_t> out;
  out.reserve(whole.answers_size());
  for (const auto& answer : whole.answers()) {
    out.push_back(answer.ByteSizeLong() + kFieldOverhead + bytes[answer.org_id()]);
  }
  return out;
}

CompilationPageCut CutCompilationPage(const Compilation& whole, const std::string& start_after,
                                      int page_size, size_t fixed_bytes, size_t budget_bytes) {
  CompilationPageCut cut;
  const std::vector<size_t> board_bytes = BoardBytes(whole);
  size_t used = fixed_bytes;
  for (int i = 0; i < whole.answers_size(); ++i) {
    const std::string& org_id = whole.answers(i).org_id();
    if (!start_after.empty() && org_id <= start_after) continue;
    const bool full = static_cast<int>(cut.org_ids.size()) >= page_size;
    const bool over = !cut.org_ids.empty() && used + board_bytes[i] > budget_bytes;
    if (full || over) {
      cut.more = true;
      break;
    }
    used += board_bytes[i];
    cut.org_ids.insert(org_id);
    cut.last_org_id = org_id;
  }
  return cut;
}

}  // namespace remiss::followup
