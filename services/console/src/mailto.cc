#include "mailto.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "layout.h"

namespace remiss::console {
namespace {

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

bool IsPlainMailbox(const std::string& mailbox) {
  const size_t at = mailbox.find('@');
  if (mailbox.size() > 254 || at == std::string::npos || at == 0 || at > 64 ||
      mailbox.find('@', at + 1) != std::string::npos) {
    return false;
  }
  for (size_t i = 0; i < at; ++i) {
    const char c = mailbox[i];
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '+' && c != '-') return false;
  }
  int labels = 0;
  for (absl::string_view label : absl::StrSplit(absl::string_view(mailbox).substr(at + 1), '.')) {
    ++labels;
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') return false;
    }
  }
  return labels >= 2;
}

std::string MailboxHtml(const std::string& mailbox, const std::string& subject) {
  if (!IsPlainMailbox(mailbox)) return Escape(mailbox);
  return absl::StrCat("<a href=\"mailto:", Escape(mailbox), subject.empty() ? "" : "?subject=",
                      subject.empty() ? "" : UrlEncode(subject), "\">", Escape(mailbox), "</a>");
}

}  // namespace remiss::console
