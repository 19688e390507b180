#include "remiss/console/pdf.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace remiss::console {
namespace {

// Helvetica's advance widths (1/1000 em) for 32..126; Latin-1 letters take their base
// letter's width, which is close enough to wrap.
constexpr int kHelvetica[95] = {
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584};

double Width(const std::string& winansi, double size, bool bold) {
  double w = 0;
  for (unsigned char c : winansi) w += (c >= 32 && c <= 126) ? kHelvetica[c - 32] : 556;
  return w * size / 1000.0 * (bold ? 1.05 : 1.0);
}

// Decodes one UTF-8 code point at s[i]; advances i. Invalid bytes are U+FFFD.
uint32_t NextCodePoint(const std::string& s, size_t& i) {
  unsigned char c = s[i++];
  if (c < 0x80) return c;
  int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
  if (more < 0) return 0xFFFD;
  uint32_t cp = c & (0x3F >> more);
  for (int k = 0; k < more; ++k) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  return cp;
}

std::string EscapePdf(const std::string& winansi) {
  std::string out;
  for (char c : winansi) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

struct Style {
  const char* font;  // /F1 Helvetica, /F2 Helvetica-Bold, /F3 Helvetica-Oblique
  double size, before, indent;
  bool bold;
};

Style StyleOf(PdfBlock::Kind k) {
  switch (k) {
    case PdfBlock::kTitle: return {"/F2", 16, 0, 0, true};
    case PdfBlock::kHeading: return {"/F2", 13, 14, 0, true};
    case PdfBlock::kSubheading: return {"/F2", 11, 10, 0, true};
    case PdfBlock::kQuote: return {"/F3", 10, 4, 18, false};
    case PdfBlock::kText: default: return {"/F1", 10.5, 5, 0, false};
  }
}

}  // namespace

std::string ToWinAnsi(const std::string& utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp = NextCodePoint(utf8, i);
    if (cp == '\t') cp = ' ';
    if ((cp >= 0x20 && cp <= 0x7E) || cp == '\n' || (cp >= 0xA0 && cp <= 0xFF)) {
      out += static_cast<char>(cp);
      continue;
    }
    switch (cp) {
      case 0x2013: out += '\x96'; break;  // –
      case 0x2014: out += '\x97'; break;  // —
      case 0x2018: out += '\x91'; break;
      case 0x2019: out += '\x92'; break;
      case 0x201C: out += '\x93'; break;
      case 0x201D: out += '\x94'; break;
      case 0x201E: out += '\x84'; break;
      case 0x2022: out += '\x95'; break;  // •
      case 0x2026: out += '\x85'; break;  // …
      case 0x20AC: out += '\x80'; break;  // €
      default: out += '?';
    }
  }
  return out;
}

std::string WritePdf(const std::string& title, const std::vector<PdfBlock>& blocks) {
  constexpr double kWidth = 595.28, kHeight = 841.89, kMargin = 56.7;  // A4, 20 mm
  std::vector<std::string> pages;  // content streams
  std::string page;
  double y = kHeight - kMargin;
  auto new_page = [&] {
    if (!page.empty()) pages.push_back(page);
    page.clear();
    y = kHeight - kMargin;
  };
  for (const PdfBlock& block : blocks) {
    const Style st = StyleOf(block.kind);
    const double leading = st.size * 1.35;
    const double room = kWidth - 2 * kMargin - st.indent;
    y -= st.before;
    // Keep a heading with at least two lines after it.
    if ((block.kind == PdfBlock::kHeading || block.kind == PdfBlock::kSubheading) && y - 3 * leading < kMargin) new_page();
    for (absl::string_view para : absl::StrSplit(ToWinAnsi(block.text), '\n')) {
      std::string line;
      auto flush = [&] {
        if (y - leading < kMargin) new_page();
        y -= leading;
        absl::StrAppend(&page, "BT ", st.font, " ", absl::StrFormat("%.1f", st.size), " Tf ",
                        absl::StrFormat("%.2f %.2f", kMargin + st.indent, y), " Td (", EscapePdf(line), ") Tj ET\n");
        line.clear();
      };
      for (absl::string_view word : absl::StrSplit(para, ' ', absl::SkipEmpty())) {
        std::string candidate = line.empty() ? std::string(word) : absl::StrCat(line, " ", word);
        if (!line.empty() && Width(candidate, st.size, st.bold) > room) {
          flush();
          candidate = std::string(word);
        }
        line = candidate;
      }
      if (!line.empty() || para.empty()) flush();
    }
  }
  new_page();
  if (pages.empty()) pages.push_back("");

  // Objects: 1 catalog, 2 pages, 3-5 fonts, 6 info, then per page: page, content.
  std::vector<std::string> objects;
  std::string kids;
  for (size_t i = 0; i < pages.size(); ++i) absl::StrAppend(&kids, 7 + 2 * i, " 0 R ");
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back(absl::StrCat("<< /Type /Pages /Kids [ ", kids, "] /Count ", pages.size(), " >>"));
  for (const char* font : {"Helvetica", "Helvetica-Bold", "Helvetica-Oblique"}) {
    objects.push_back(absl::StrCat("<< /Type /Font /Subtype /Type1 /BaseFont /", font,
                                   " /Encoding /WinAnsiEncoding >>"));
  }
  objects.push_back(absl::StrCat("<< /Title (", EscapePdf(ToWinAnsi(title)), ") /Producer (remiss console) >>"));
  for (size_t i = 0; i < pages.size(); ++i) {
    objects.push_back(absl::StrCat("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] "
                                   "/Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents ",
                                   8 + 2 * i, " 0 R >>"));
    objects.push_back(absl::StrCat("<< /Length ", pages[i].size(), " >>\nstream\n", pages[i], "endstream"));
  }
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    absl::StrAppend(&pdf, i + 1, " 0 obj\n", objects[i], "\nendobj\n");
  }
  const size_t xref = pdf.size();
  absl::StrAppend(&pdf, "xref\n0 ", objects.size() + 1, "\n0000000000 65535 f \n");
  for (size_t off : offsets) absl::StrAppend(&pdf, absl::StrFormat("%010d 00000 n \n", off));
  absl::StrAppend(&pdf, "trailer\n<< /Size ", objects.size() + 1, " /Root 1 0 R /Info 6 0 R >>\nstartxref\n", xref,
                  "\n%%EOF\n");
  return pdf;
}

}  // namespace remiss::console
