// The notices' texts: one template per kind in Swedish, plain text and HTML, in files an
// administrator can change without a rebuild (DESIGN.md, "Notices"). In the directory:
//   <kind>.txt   first line "Ämne: <subject>", an empty line, then the plain text
//   <kind>.html  the HTML alternative (a fragment or a whole document)
// for every kind: round, reminder, overdue, overdue_summary, receipt, change. A {{name}}
// is replaced by the notice's field `name` (HTML-escaped in .html, line breaks as <br>);
// a name the notice does not have is an error, so a typo shows. Plain values.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "remiss/v1/notices_events.pb.h"

namespace remiss::notices {

struct Template {
  std::string subject;
  std::string text;
  std::string html;
};

struct Templates {
  std::map<std::string, Template> by_kind;  // KindName -> its template
};

// What a notice says, filled in.
struct RenderedNotice {
  std::string subject;  // begins with the case number
  std::string text;
  std::string html;
};

// Reads every kind's two files from `dir`; an error names the file and what is wrong.
[[nodiscard]] absl::StatusOr<Templates> LoadTemplates(const std::string& dir);
// Parses one kind's files' contents.
[[nodiscard]] absl::StatusOr<Template> ParseTemplate(absl::string_view txt_file, absl::string_view html_file);
// Fills `notice`'s kind's template with its fields. The subject starts with the case number
// (prepended when the template's does not).
[[nodiscard]] absl::StatusOr<RenderedNotice> Render(const Templates& templates,
                                                    const remiss::v1::NoticeQueued& notice);
// The directory of the templates shipped with the source (the build's default).
[[nodiscard]] std::string DefaultTemplatesDir();

}  // namespace remiss::notices
