#include "remiss/notices/templates.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "remiss/notices/domain.h"

namespace remiss::notices {
namespace {

constexpr absl::string_view kSubjectPrefix = "Ämne:";

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("notice template ", path, ": cannot be read"));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string EscapeHtml(absl::string_view s) {
  std::string out = absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
  return absl::StrReplaceAll(out, {{"\n", "<br>\n"}});
}

// Replaces every {{name}} in `text` by escape(fields[name]).
template <typename Escape>
absl::StatusOr<std::string> Fill(absl::string_view text, const google::protobuf::Map<std::string, std::string>& fields,
                                 Escape escape, absl::string_view where) {
  std::string out;
  size_t i = 0;
  while (true) {
    const size_t open = text.find("{{", i);
    if (open == absl::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos) {
      return absl::FailedPreconditionError(absl::StrCat("notice template ", where, ": \"{{\" without \"}}\""));
    }
    absl::StrAppend(&out, text.substr(i, open - i));
    const std::string name(text.substr(open + 2, close - open - 2));
    auto it = fields.find(name);
    if (it == fields.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("notice template ", where, ": no field {{", name, "}} in this kind of notice"));
    }
    absl::StrAppend(&out, escape(it->second));
    i = close + 2;
  }
  absl::StrAppend(&out, text.substr(i));
  return out;
}

}  // namespace

absl::StatusOr<Template> ParseTemplate(absl::string_view txt, absl::string_view html) {
  const size_t eol = txt.find('\n');
  absl::string_view first = txt.substr(0, eol);
  if (!absl::StartsWith(first, kSubjectPrefix)) {
    return absl::InvalidArgumentError("the first line must be \"Ämne: <subject>\"");
  }
  Template t;
  t.subject = std::string(absl::StripAsciiWhitespace(first.substr(kSubjectPrefix.size())));
  if (t.subject.empty()) return absl::InvalidArgumentError("the subject (\"Ämne:\") is empty");
  absl::string_view rest = eol == absl::string_view::npos ? "" : txt.substr(eol + 1);
  while (absl::StartsWith(rest, "\n")) rest.remove_prefix(1);
  t.text = std::string(rest);
  t.html = std::string(html);
  if (t.text.empty()) return absl::InvalidArgumentError("the text after the subject is empty");
  if (t.html.empty()) return absl::InvalidArgumentError("the HTML alternative is empty");
  return t;
}

absl::StatusOr<Templates> LoadTemplates(const std::string& dir) {
  Templates out;
  for (auto kind : {remiss::v1::NOTICE_KIND_ROUND, remiss::v1::NOTICE_KIND_REMINDER, remiss::v1::NOTICE_KIND_OVERDUE,
                    remiss::v1::NOTICE_KIND_OVERDUE_SUMMARY, remiss::v1::NOTICE_KIND_RECEIPT,
                    remiss::v1::NOTICE_KIND_CHANGE}) {
    const std::string name = KindName(kind);
    const std::string txt_path = absl::StrCat(dir, "/", name, ".txt");
    auto txt = ReadFile(txt_path);
    if (!txt.ok()) return txt.status();
    auto html = ReadFile(absl::StrCat(dir, "/", name, ".html"));
    if (!html.ok()) return html.status();
    auto t = ParseTemplate(*txt, *html);
    if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("notice template ", txt_path, ": ", t.status().message()));
    out.by_kind.emplace(name, std::move(*t));
  }
  return out;
}

absl::StatusOr<RenderedNotice> Render(const Templates& templates, const remiss::v1::NoticeQueued& notice) {
  const std::string kind = KindName(notice.kind());
  auto it = templates.by_kind.find(kind);
  if (it == templates.by_kind.end()) {
    return absl::FailedPreconditionError(absl::StrCat("notice template ", kind, ": none loaded"));
  }
  const Template& t = it->second;
  auto plain = [](const std::string& s) { return s; };
  auto one_line = [](const std::string& s) { return absl::StrReplaceAll(s, {{"\r", " "}, {"\n", " "}}); };
  RenderedNotice r;
  auto subject = Fill(t.subject, notice.fields(), one_line, absl::StrCat(kind, ".txt (Ämne)"));
  if (!subject.ok()) return subject.status();
  auto text = Fill(t.text, notice.fields(), plain, absl::StrCat(kind, ".txt"));
  if (!text.ok()) return text.status();
  auto html = Fill(t.html, notice.fields(), EscapeHtml, absl::StrCat(kind, ".html"));
  if (!html.ok()) return html.status();
  r.subject = std::move(*subject);
  if (!absl::StartsWith(r.subject, notice.case_number())) r.subject = absl::StrCat(notice.case_number(), " ", r.subject);
  r.text = std::move(*text);
  r.html = std::move(*html);
  return r;
}

std::string DefaultTemplatesDir() { return REMISS_NOTICES_TEMPLATES_DIR; }

}  // namespace remiss::notices
