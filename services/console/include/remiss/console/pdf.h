// A small PDF writer for text documents: A4 pages in the standard Helvetica fonts
// (WinAnsiEncoding, so å, ä, ö, é and the other Latin-1 letters come out right; a character
// the encoding lacks becomes '?'), wrapped to the page, new pages as needed. Pure: returns
// the file's bytes.
#pragma once

#include <string>
#include <vector>

namespace remiss::console {

struct PdfBlock {
  enum Kind { kTitle, kHeading, kSubheading, kText, kQuote };
  Kind kind;
  std::string text;  // UTF-8; '\n' starts a new line
};

std::string WritePdf(const std::string& title, const std::vector<PdfBlock>& blocks);

// UTF-8 to Windows-1252 (what WinAnsiEncoding means); '?' for what it lacks. For tests too.
std::string ToWinAnsi(const std::string& utf8);

}  // namespace remiss::console
