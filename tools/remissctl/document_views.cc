#include "tools/remissctl/document_views.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "tools/remissctl/render.h"
#include "tools/remissctl/swedish_time.h"

namespace remissctl {
namespace {

constexpr size_t kSummaryWidth = 60;
constexpr size_t kRemarkWidth = 70;

std::string Counts(const google::protobuf::Map<std::string, int32_t>& m) {
  std::map<std::string, int32_t> sorted(m.begin(), m.end());
  std::vector<std::string> parts;
  for (const auto& [k, v] : sorted) parts.push_back(absl::StrCat(StandpointWords(k), " ", v));
  return absl::StrJoin(parts, ", ");
}

// An RFC 3339 UTC instant as Stockholm's "2021-02-19 09:00"; unparsable text as it is.
std::string Submitted(const std::string& rfc3339) {
  if (rfc3339.empty()) return "";
  std::optional<google::protobuf::Timestamp> ts = ParseInstant(rfc3339);
  return ts ? SwedishDateTime(*ts) : rfc3339;
}

// "bromma-sdn" with its name when the compilation knows it.
std::map<std::string, std::string> Names(const remiss::v1::Compilation& c) {
  std::map<std::string, std::string> names;
  for (const auto& a : c.answers()) {
    if (!a.org_name().empty()) names[a.org_id()] = a.org_name();
  }
  return names;
}

void Heading(std::ostream& out, const std::string& text) {
  out << "\n" << text << "\n";
}

}  // namespace

std::string StandpointWords(const std::string& enum_name) {
  std::string s = enum_name;
  if (s.rfind("STANDPOINT_", 0) == 0) s = s.substr(11);
  if (s == "UNSPECIFIED") return "";
  for (char& c : s) c = c == '_' ? ' ' : absl::ascii_tolower(static_cast<unsigned char>(c));
  return s;
}

std::string Cut(const std::string& text, size_t max) {
  std::string out;
  size_t points = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool starts_point = (c & 0xC0) != 0x80;
    if (starts_point && ++points > max) {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      return out + "…";
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : text[i]);
  }
  return out;
}

void PrintCompilation(std::ostream& out, const remiss::v1::CompilationView& view) {
  const remiss::v1::Compilation& c = view.live();
  out << c.case_number() << "  " << c.title() << "\n";
  out << "remissammanställning: " << c.answers_size() << " answer"
      << (c.answers_size() == 1 ? "" : "s");
  if (!c.standpoints().empty()) out << " (" << Counts(c.standpoints()) << ")";
  out << "\n";

  Heading(out, "Answers");
  std::vector<std::vector<std::string>> rows = {
      {"ORG", "NAME", "STANDPOINT", "DECIDED BY", "SUBMITTED", "SUMMARY"}};
  for (const auto& a : c.answers()) {
    rows.push_back({a.org_id(), a.org_name(), StandpointWords(a.standpoint()), a.decided_by(),
                    Submitted(a.submitted_at()), Cut(a.summary(), kSummaryWidth)});
  }
  PrintTextTable(out, rows);
  if (c.answers().empty()) out << "(none yet)\n";

  const auto names = Names(c);
  Heading(out, "Remarks by topic");
  rows = {{"TOPIC", "ORG", "REMARK"}};
  for (const auto& topic : c.remarks_by_topic()) {
    bool first = true;
    for (const auto& r : topic.remarks()) {
      rows.push_back({first ? topic.topic() : "", r.org_id(), Cut(r.text(), kRemarkWidth)});
      first = false;
    }
  }
  PrintTextTable(out, rows);
  if (c.remarks_by_topic().empty()) out << "(none)\n";

  Heading(out, "Reservations and special statements by party");
  rows = {{"PARTY", "ORG", "KIND", "PARTIES", "TEXT"}};
  // Each statement once with references per party; a compilation frozen before those
  // existed has copies under statements_by_party.
  std::map<std::string, std::vector<const remiss::v1::PartyStatement*>> parties;
  for (const auto& [party, refs] : c.party_statement_refs()) {
    for (int index : refs.indexes()) {
      if (index >= 0 && index < c.party_statements_size()) parties[party].push_back(&c.party_statements(index));
    }
  }
  if (c.party_statement_refs().empty()) {
    for (const auto& [party, list] : c.statements_by_party()) {
      for (const auto& s : list.statements()) parties[party].push_back(&s);
    }
  }
  for (const auto& [party, list] : parties) {
    bool first = true;
    for (const remiss::v1::PartyStatement* statement : list) {
      const remiss::v1::PartyStatement& s = *statement;
      rows.push_back({first ? party : "", s.org_id(), s.kind(), absl::StrJoin(s.parties(), "+"),
                      Cut(s.text(), kRemarkWidth)});
      first = false;
    }
  }
  PrintTextTable(out, rows);
  if (parties.empty()) out << "(none)\n";

  out << "\nnot answered (ej inkommit): "
      << (c.not_answered().empty() ? "none" : absl::StrJoin(c.not_answered(), ", ")) << "\n";
  if (!view.frozen().empty()) {
    Heading(out, "Frozen versions");
    rows = {{"VERSION", "ANSWERS", "NOTE"}};
    for (const auto& f : view.frozen()) {
      rows.push_back({absl::StrCat(f.version()), absl::StrCat(f.compilation().answers_size()),
                      Cut(f.note(), kRemarkWidth)});
    }
    PrintTextTable(out, rows);
  }
}

void PrintChain(std::ostream& out, const remiss::v1::RevisionChain& chain) {
  if (chain.rounds().empty()) {
    out << "(no rounds)\n";
    return;
  }
  out << "revision chain, oldest first:\n";
  for (const auto& r : chain.rounds()) out << "  " << r.case_number() << "  " << r.title() << "\n";
  out << "\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"ORG"};
  for (const auto& r : chain.rounds()) header.push_back(r.case_number());
  rows.push_back(header);
  for (const std::string& org : chain.org_ids()) {
    std::vector<std::string> row = {org};
    for (const auto& r : chain.rounds()) {
      auto it = r.standpoints().find(org);
      // Not addressed in that round: "-"; addressed but no answer: "(no answer)".
      row.push_back(it == r.standpoints().end()  ? "-"
                    : it->second.empty()         ? "(no answer)"
                                                 : StandpointWords(it->second));
    }
    rows.push_back(row);
  }
  PrintTextTable(out, rows);
}

void PrintDistributionList(std::ostream& out, const remiss::v1::DistributionList& list) {
  out << list.list_id() << "  " << list.name() << "\n";
  out << list.member_org_ids_size() << " member" << (list.member_org_ids_size() == 1 ? "" : "s")
      << ", version " << list.version() << "\n\n";
  std::vector<std::vector<std::string>> rows = {{"ORG"}};
  for (const auto& m : list.member_org_ids()) rows.push_back({m});
  PrintTextTable(out, rows);
}

}  // namespace remissctl
