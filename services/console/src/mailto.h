// A registry mailbox as a link: only a plain address (letters, digits and . _ + - before one
// '@', a domain of letter-digit-hyphen labels) becomes a mailto: link; anything else (an
// address recorded before the services checked it, "reg?cc=…@…") is shown as text, so no
// link can carry extra recipients, a subject or a body of someone else's choosing. Pure.
#pragma once

#include <string>

namespace remiss::console {

bool IsPlainMailbox(const std::string& mailbox);

// HTML: <a href="mailto:ADDRESS?subject=…">ADDRESS</a> (no subject when empty), or the
// escaped text when the mailbox is not plain.
std::string MailboxHtml(const std::string& mailbox, const std::string& subject = "");

}  // namespace remiss::console
