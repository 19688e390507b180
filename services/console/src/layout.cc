#include "layout.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace remiss::console {

std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

std::string CsrfField(const std::string& csrf) {
  return absl::StrCat(R"(<input type="hidden" name="csrf" value=")", Escape(csrf), R"(">)");
}

std::string Page(const Shell& s, const std::string& main) {
  std::string who;
  if (s.person) {
    who = absl::StrCat(
        R"(<p class="who">Inloggad som <strong>)", Escape(s.person->id), "</strong> (",
        Escape(s.person->org_id), ", ", s.person->ks() ? "KS" : s.person->role == "board" ? "registrator" : "läsare",
        R"()</p><form method="post" action="/logga-ut" class="inline">)", CsrfField(s.csrf),
        R"(<button type="submit">Logga ut</button></form>)");
  }
  std::string nav = R"(<nav aria-label="Huvudmeny"><ul><li><a href="/remisser">Remisser</a></li>)";
  if (s.person && s.new_round) absl::StrAppend(&nav, R"(<li><a href="/ny-remiss">Ny remiss</a></li>)");
  if (s.person && s.person->role == "board") {
    absl::StrAppend(&nav, R"(<li><a href="/organisationer/)", UrlEncode(s.person->org_id),
                    R"(">Min organisation</a></li>)");
  }
  absl::StrAppend(&nav, "</ul></nav>");
  std::string messages;
  if (!s.error.empty()) {
    absl::StrAppend(&messages, R"(<div class="error" role="alert"><h2>Det gick inte</h2><p>)",
                    Escape(s.error), "</p></div>");
  }
  if (!s.notice.empty()) {
    absl::StrAppend(&messages, R"(<div class="notice" role="status"><p>)", Escape(s.notice), "</p></div>");
  }
  std::string json = s.json_url.empty()
                         ? ""
                         : absl::StrCat(R"(<p class="json"><a href=")", Escape(s.json_url),
                                        R"(">Sidan som JSON</a></p>)");
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>", Escape(s.title), " – Remiss</title>"
      "<link rel=\"stylesheet\" href=\"/stil.css\"></head><body>"
      "<a class=\"skip\" href=\"#innehall\">Till innehållet</a>"
      "<header><p class=\"brand\"><a href=\"/remisser\">Remiss</a> – remisser i kommunen</p>",
      who, nav, "</header><main id=\"innehall\" tabindex=\"-1\">", messages, main, json,
      "</main></body></html>\n");
}

const std::string& StyleSheet() {
  static const std::string css = R"css(
:root { color: #1a1a1a; background: #ffffff; font-family: "DejaVu Sans", Arial, sans-serif; }
body { margin: 0; line-height: 1.5; }
a { color: #0b4f9c; }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #b35900; outline-offset: 2px; }
.skip { position: absolute; left: -10000px; }
.skip:focus { left: 1rem; top: 1rem; background: #ffffff; padding: .5rem; }
header { background: #12355b; color: #ffffff; padding: .5rem 1.5rem; }
header a { color: #ffffff; }
header .brand { font-size: 1.25rem; margin: .25rem 0; }
header nav ul { list-style: none; padding: 0; margin: .25rem 0; display: flex; gap: 1.5rem; }
header .who { margin: .25rem 0; }
form.inline { display: inline; }
main { padding: 1rem 1.5rem 3rem; max-width: 80rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; }
h3 { font-size: 1.1rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
caption { text-align: left; font-weight: bold; padding: .25rem 0; }
th, td { border: 1px solid #8a8a8a; padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #e8eef5; }
td.num, th.num { text-align: right; }
.flag { display: inline-block; padding: 0 .4rem; margin: 0 .2rem .2rem 0; border-radius: .25rem; font-size: .9rem; border: 1px solid currentColor; }
.flag.overdue { color: #8b0000; background: #fde8e8; }
.flag.risk { color: #6b3d00; background: #fff3d6; }
.flag.ext { color: #1d4d1d; background: #e6f4e6; }
.flag.late { color: #5a2a7a; background: #f3e8fb; }
.error { border: 2px solid #8b0000; background: #fde8e8; padding: .5rem 1rem; margin-bottom: 1rem; }
.error h2 { margin-top: 0; font-size: 1.1rem; }
.notice { border: 2px solid #1d4d1d; background: #e6f4e6; padding: .5rem 1rem; margin-bottom: 1rem; }
fieldset { border: 1px solid #8a8a8a; margin: 1rem 0; padding: .5rem 1rem 1rem; }
label { display: block; margin-top: .6rem; font-weight: bold; }
label.choice { display: inline; font-weight: normal; margin-left: .25rem; }
input[type=text], input[type=date], select, textarea { font: inherit; padding: .25rem; border: 1px solid #5a5a5a; min-width: 18rem; }
textarea { width: 100%; max-width: 50rem; min-height: 5rem; }
button { font: inherit; padding: .35rem 1rem; margin-top: .75rem; background: #12355b; color: #ffffff; border: 1px solid #12355b; border-radius: .2rem; cursor: pointer; }
header button { background: #ffffff; color: #12355b; margin: 0; padding: .1rem .6rem; }
.hint { color: #4a4a4a; font-size: .95rem; margin: .1rem 0; }
.json { margin-top: 2rem; font-size: .9rem; }
.document { max-width: 50rem; }
.document .answer { margin-bottom: 1.5rem; }
.document blockquote { margin: .25rem 0 .75rem 1rem; padding-left: .75rem; border-left: 3px solid #8a8a8a; white-space: pre-line; }
.actions { margin: 1rem 0; }
.actions a { margin-right: 1rem; }
@page { size: A4; margin: 20mm 18mm; }
@media print {
  :root { font-family: "DejaVu Serif", Georgia, serif; font-size: 11pt; }
  header, nav, .skip, .json, .actions, form, .noprint { display: none !important; }
  main { padding: 0; max-width: none; }
  a { color: #000000; text-decoration: none; }
  h1, h2, h3 { page-break-after: avoid; break-after: avoid; }
  .answer, tr { page-break-inside: avoid; break-inside: avoid; }
  th, td { border-color: #000000; }
}
)css";
  return css;
}

}  // namespace remiss::console
