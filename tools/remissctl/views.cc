#include "tools/remissctl/views.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "remiss/v1/deadlines.pb.h"
#include "remiss/v1/followup.pb.h"
#include "remiss/v1/responses.pb.h"
#include "tools/remissctl/document_views.h"
#include "tools/remissctl/render.h"
#include "tools/remissctl/swedish_time.h"

namespace remissctl {
namespace {

using google::protobuf::Message;

// Whether the row's body has answered: the server's one definition (BoardRow.answered, from
// remiss::views::HasAnswered: submitted or declined), never recomputed here.
bool Answered(const remiss::v1::BoardRow& r) { return r.answered(); }

bool Overdue(const remiss::v1::BoardRow& r) {
  return !Answered(r) && (r.days_left() < 0 || r.deadline_outcome().rfind("breached", 0) == 0);
}

std::string Flags(const remiss::v1::BoardRow& r) {
  std::vector<std::string> f;
  if (r.late()) f.push_back("late");
  if (r.at_risk()) f.push_back("at risk");
  if (!r.extension().empty()) f.push_back("extension " + r.extension());
  if (!r.deadline_outcome().empty() && r.deadline_outcome() != "open" && r.deadline_outcome() != "met") {
    f.push_back(r.deadline_outcome());
  }
  if (!r.feedback().empty()) f.push_back("feedback given");
  int open = 0, done = 0, late = 0;
  for (const auto& a : r.actions()) {
    a.done() ? ++done : ++open;
    late += a.overdue();
  }
  if (open + done) f.push_back(absl::StrCat(open + done, " action", open + done > 1 ? "s" : "",
                                            done ? absl::StrCat(", ", done, " done") : "",
                                            late ? absl::StrCat(", ", late, " overdue") : ""));
  return absl::StrJoin(f, ", ");
}

std::vector<std::string> RowCells(const remiss::v1::BoardRow& r) {
  std::string deadline = r.effective_deadline().empty() ? r.stated_deadline() : r.effective_deadline();
  return {Overdue(r) ? "!" : "",
          r.org_id(),
          r.stage(),
          r.diary_number(),
          deadline,
          Answered(r) ? "" : absl::StrCat(r.days_left()),
          r.standpoint(),
          SwedishDateTime(r.submitted_at()),
          Flags(r)};
}

const std::vector<std::string> kRowHeader = {"", "ORG", "STAGE", "DIARY NO", "DEADLINE",
                                             "DAYS LEFT", "STANDPOINT", "SUBMITTED", "FLAGS"};

std::string Counts(const google::protobuf::Map<std::string, int32_t>& m) {
  std::map<std::string, int32_t> sorted(m.begin(), m.end());
  std::vector<std::string> parts;
  for (const auto& [k, v] : sorted) parts.push_back(absl::StrCat(k.empty() ? "none" : k, " ", v));
  return absl::StrJoin(parts, ", ");
}

void PrintBoard(std::ostream& out, const remiss::v1::StatusBoard& b) {
  out << b.case_number() << "  " << b.title() << "\n";
  out << "status " << b.status() << ", deadline " << b.deadline() << ", as of " << b.today() << "\n\n";
  std::vector<std::vector<std::string>> rows = {kRowHeader};
  for (const auto& r : b.rows()) rows.push_back(RowCells(r));
  PrintTextTable(out, rows);
  out << "\n";
  if (!b.by_stage().empty()) out << "by stage:      " << Counts(b.by_stage()) << "\n";
  if (!b.by_standpoint().empty()) out << "by standpoint: " << Counts(b.by_standpoint()) << "\n";
  out << "not answered:  " << (b.not_answered().empty() ? "none" : absl::StrJoin(b.not_answered(), ", "))
      << "\n";
  if (!b.not_answered_bodies().empty()) {
    // Where to chase each body that has not answered: its registry mailbox (registrator).
    out << "\nej inkommit, to chase:\n";
    std::vector<std::vector<std::string>> chase = {
        {"ORG", "NAME", "DEADLINE", "DAYS LEFT", "REGISTRY MAILBOX"}};
    for (const auto& n : b.not_answered_bodies()) {
      chase.push_back({n.org_id(), n.org_name(), n.effective_deadline(), absl::StrCat(n.days_left()),
                       n.registry_mailbox().empty() ? "(none known)" : n.registry_mailbox()});
    }
    PrintTextTable(out, chase);
  }
  if (b.has_outcome()) {
    out << "outcome:       " << b.outcome().decided_by() << " " << b.outcome().decision_date();
    if (!b.outcome().decision_reference().empty()) out << " (" << b.outcome().decision_reference() << ")";
    if (!b.outcome().summary().empty()) out << ": " << b.outcome().summary();
    out << "\n";
  }
}

void PrintOrgView(std::ostream& out, const remiss::v1::OrganizationView& v) {
  out << v.org_id() << (v.org_name().empty() ? "" : "  " + v.org_name()) << "\n\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = kRowHeader;
  header[1] = "CASE";
  header.insert(header.begin() + 2, "TITLE");
  rows.push_back(header);
  for (const auto& item : v.items()) {
    std::vector<std::string> cells = RowCells(item.row());
    cells[1] = item.case_number();
    std::string title = item.title();
    if (title.size() > 48) title = title.substr(0, 45) + "...";
    cells.insert(cells.begin() + 2, title);
    rows.push_back(cells);
  }
  PrintTextTable(out, rows);
  if (v.items().empty()) out << "(nothing)\n";
}

void PrintTimeline(std::ostream& out, const remiss::v1::ResponseTimeline& t) {
  PrintRecord(out, t.response());
  out << "\nhistory:\n";
  std::vector<std::vector<std::string>> rows = {{"VERSION", "WHEN", "EVENT", "BY", "COMMAND"}};
  for (const auto& e : t.events()) {
    std::string by = e.actor().org_id();
    if (!e.actor().role().empty()) by += "/" + e.actor().role();
    rows.push_back({absl::StrCat(e.stream_version()), SwedishDateTime(e.occurred_at()), e.type(), by,
                    e.command_id()});
  }
  PrintTextTable(out, rows);
}

void PrintDeadlines(std::ostream& out, const Command& cmd, const Message& m) {
  // Overdue rows are marked "!" in front of the ordinary table.
  const auto& list = static_cast<const remiss::v1::ListDeadlinesResponse&>(m);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {""};
  for (const std::string& c : cmd.columns) header.push_back(c.substr(c.find('=') + 1));
  rows.push_back(header);
  for (const auto& d : list.deadlines()) {
    bool overdue = d.days_left() < 0 && !d.submitted_at().seconds() &&
                   d.outcome() != remiss::v1::DEADLINE_OUTCOME_DECLINED &&
                   d.outcome() != remiss::v1::DEADLINE_OUTCOME_CANCELLED;
    std::vector<std::string> row = {overdue || d.outcome() == remiss::v1::DEADLINE_OUTCOME_BREACHED ? "!" : ""};
    for (const std::string& c : cmd.columns) row.push_back(FieldText(d, c.substr(0, c.find('='))));
    rows.push_back(row);
  }
  PrintTextTable(out, rows);
  if (list.deadlines().empty()) out << "(none)\n";
}

}  // namespace

void PrintView(std::ostream& out, const Command& cmd, const Message& m) {
  switch (cmd.view) {
    case View::kResult:
      PrintCommandResult(out, m);
      return;
    case View::kBoard:
      PrintBoard(out, static_cast<const remiss::v1::StatusBoard&>(m));
      return;
    case View::kOrgView:
      PrintOrgView(out, static_cast<const remiss::v1::OrganizationView&>(m));
      return;
    case View::kTimeline:
      PrintTimeline(out, static_cast<const remiss::v1::ResponseTimeline&>(m));
      return;
    case View::kTable: {
      if (m.GetDescriptor() == remiss::v1::ListDeadlinesResponse::descriptor()) {
        PrintDeadlines(out, cmd, m);
        return;
      }
      const auto* f = m.GetDescriptor()->FindFieldByName(cmd.rows);
      std::vector<const Message*> rows;
      for (int i = 0; f && i < m.GetReflection()->FieldSize(m, f); ++i) {
        rows.push_back(&m.GetReflection()->GetRepeatedMessage(m, f, i));
      }
      PrintTable(out, rows, cmd.columns);
      return;
    }
    case View::kCompilation:
      PrintCompilation(out, static_cast<const remiss::v1::CompilationView&>(m));
      return;
    case View::kChain:
      PrintChain(out, static_cast<const remiss::v1::RevisionChain&>(m));
      return;
    case View::kList:
      PrintDistributionList(out, static_cast<const remiss::v1::DistributionList&>(m));
      return;
    case View::kRecord:
    case View::kHealth:
      PrintRecord(out, m);
      return;
  }
}

}  // namespace remissctl
