#include "remiss/notices/message.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace remiss::notices {
namespace {

bool PlainAscii(absl::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Bytes of the UTF-8 character starting with `lead`.
size_t CharLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xe) return 3;
  if ((lead >> 3) == 0x1e) return 4;
  return 1;
}

// Base64 of `body` in lines of 76 characters, CRLF after each.
std::string Base64Lines(absl::string_view body) {
  const std::string b64 = absl::Base64Escape(body);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) absl::StrAppend(&out, b64.substr(i, 76), "\r\n");
  return out;
}

// Line ends as CRLF.
std::string Crlf(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') continue;
    if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

// An address with its display name: "Name" <addr>, or =?UTF-8?B?...?= <addr>.
std::string Mailbox(absl::string_view name, absl::string_view address, size_t used) {
  if (name.empty()) return absl::StrCat("<", address, ">");
  bool quote_safe = PlainAscii(name) && name.find('"') == absl::string_view::npos &&
                    name.find('\\') == absl::string_view::npos;
  if (quote_safe) return absl::StrCat("\"", name, "\" <", address, ">");
  return absl::StrCat(EncodeHeaderText(name, used), " <", address, ">");
}

// FNV-1a: the same in every process (absl::Hash is seeded per process).
uint64_t StableHash(absl::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace

std::string EncodeHeaderText(absl::string_view text, size_t used) {
  if (PlainAscii(text) && used + text.size() <= 78) return std::string(text);
  // Each word carries at most 45 bytes (60 base64 characters + 12 of "=?UTF-8?B?" "?=" = 72).
  std::string out;
  size_t i = 0;
  bool first = true;
  while (i < text.size()) {
    size_t end = i;
    while (end < text.size()) {
      const size_t n = CharLength(static_cast<unsigned char>(text[end]));
      if (end + n - i > 45) break;
      end += n;
    }
    if (end == i) end = std::min(text.size(), i + CharLength(static_cast<unsigned char>(text[i])));
    if (!first) out += "\r\n ";
    absl::StrAppend(&out, "=?UTF-8?B?", absl::Base64Escape(text.substr(i, end - i)), "?=");
    first = false;
    i = end;
  }
  return out;
}

std::string BuildMessage(const MessageParts& p) {
  const std::string boundary =
      absl::StrFormat("=_remiss_%016x", StableHash(p.notice_id));
  std::string m;
  absl::StrAppend(&m, "From: ", Mailbox(p.from_name, p.from_address, 6), "\r\n");
  absl::StrAppend(&m, "To: ", Mailbox(p.to_name, p.to_address, 4), "\r\n");
  absl::StrAppend(&m, "Subject: ", EncodeHeaderText(p.subject, 9), "\r\n");
  absl::StrAppend(&m, "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", p.date, absl::UTCTimeZone()),
                  "\r\n");
  absl::StrAppend(&m, "Message-ID: ", p.message_id, "\r\n");
  absl::StrAppend(&m, "Auto-Submitted: auto-generated\r\n");
  absl::StrAppend(&m, "X-Auto-Response-Suppress: All\r\n");
  absl::StrAppend(&m, "X-Remiss-Case: ", EncodeHeaderText(p.case_number, 15), "\r\n");
  absl::StrAppend(&m, "X-Remiss-Notice: ", p.notice_id, "\r\n");
  absl::StrAppend(&m, "MIME-Version: 1.0\r\n");
  absl::StrAppend(&m, "Content-Type: multipart/alternative; boundary=\"", boundary, "\"\r\n\r\n");
  absl::StrAppend(&m, "--", boundary, "\r\n");
  absl::StrAppend(&m, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
  absl::StrAppend(&m, Base64Lines(Crlf(p.text)));
  absl::StrAppend(&m, "--", boundary, "\r\n");
  absl::StrAppend(&m, "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
  const std::string html = p.html.find("<html") == std::string::npos
                               ? absl::StrCat("<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\"></head><body>\n",
                                              p.html, "</body></html>\n")
                               : p.html;
  absl::StrAppend(&m, Base64Lines(Crlf(html)));
  absl::StrAppend(&m, "--", boundary, "--\r\n");
  return m;
}

}  // namespace remiss::notices
