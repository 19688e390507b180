#include "remiss/core/base/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/base/message_checks.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/limits.h"

namespace remiss::core {
namespace {

constexpr size_t kMaxEmailLength = limits::kEmail;
constexpr size_t kMaxDocumentIdLength = limits::kId;
constexpr size_t kMaxDocumentTitleLength = limits::kTitle;
constexpr size_t kMaxDocumentUriLength = limits::kUri;

// The length in bytes of the letter that starts `s` (A-Z, a-z, or a Latin-1 letter in UTF-8:
// C3 80-BF except × and ÷); 0 when `s` does not start with a letter.
size_t LetterBytes(absl::string_view s) {
  if (s.empty()) return 0;
  unsigned char c = static_cast<unsigned char>(s[0]);
  if (absl::ascii_isalpha(c)) return 1;
  if (c == 0xC3 && s.size() > 1) {
    unsigned char next = static_cast<unsigned char>(s[1]);
    if (next >= 0x80 && next <= 0xBF && next != 0x97 && next != 0xB7) return 2;
  }
  return 0;
}

// Å Ä Ö å ä ö in UTF-8 (C3 85, 84, 96, A5, A4, B6).
bool IsSwedishLetter(absl::string_view s) {
  if (s.size() < 2 || static_cast<unsigned char>(s[0]) != 0xC3) return false;
  unsigned char next = static_cast<unsigned char>(s[1]);
  return next == 0x85 || next == 0x84 || next == 0x96 || next == 0xA5 || next == 0xA4 ||
         next == 0xB6;
}

bool IsDiaryPunctuation(char c) {
  switch (c) {
    case ' ': case '/': case '-': case '.': case ':': case '_':
    case '(': case ')': case ',': case '+': case '#':
      return true;
    default:
      return false;
  }
}

absl::Status ValidateDocumentId(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "is required");
  REMISS_RETURN_IF_ERROR(MaxLength(field, value, kMaxDocumentIdLength));
  bool ok = absl::ascii_isalnum(static_cast<unsigned char>(value.front()));
  for (char c : value) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                c == '.');
  }
  if (!ok) {
    return Invalid(field, absl::StrCat("must be letters, digits, '-', '_' or '.', starting with "
                                       "a letter or digit, like \"bilaga-1\" (got \"",
                                       value, "\")"));
  }
  return absl::OkStatus();
}

// Optional: when given, 64 hexadecimal digits.
absl::Status ValidateSha256(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  bool ok = value.size() == 64;
  for (char c : value) ok = ok && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!ok) {
    return Invalid(field, absl::StrCat("must be 64 hexadecimal digits (got ", value.size(),
                                       " characters)"));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- building blocks ----

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

std::string Item(absl::string_view field, int index) {
  return absl::StrCat(field, "[", index, "]");
}

size_t CharacterCount(absl::string_view value) {
  size_t n = 0;
  for (unsigned char c : value) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool IsBlank(absl::string_view value) { return absl::StripAsciiWhitespace(value).empty(); }

bool IsAsciiDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// ---- fields ----

absl::Status Required(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "is required");
  return absl::OkStatus();
}

absl::Status MaxLength(absl::string_view field, absl::string_view value, size_t max) {
  size_t n = CharacterCount(value);
  if (n > max) {
    return Invalid(field, absl::StrCat("must be at most ", max, " characters (got ", n, ")"));
  }
  return absl::OkStatus();
}

absl::Status RequiredText(absl::string_view field, absl::string_view value, size_t max) {
  if (IsBlank(value)) return Invalid(field, "is required");
  return MaxLength(field, value, max);
}

absl::Status ValidateEmail(absl::string_view field, absl::string_view value) {
  REMISS_RETURN_IF_ERROR(MaxLength(field, value, kMaxEmailLength));
  if (!value.empty() && value.find('@') == absl::string_view::npos) {
    return Invalid(field, absl::StrCat("must contain '@' (got \"", value, "\")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilDay> DateAfterToday(absl::string_view field, absl::string_view value,
                                              absl::CivilDay today) {
  absl::StatusOr<absl::CivilDay> day = ParseCivilDate(field, value);
  if (!day.ok()) return day.status();
  if (*day <= today) {
    return Invalid(field, absl::StrCat("must be after today (", FormatCivilDate(*day),
                                       " is not after ", FormatCivilDate(today), ")"));
  }
  return day;
}

absl::Status ValidatePhone(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  bool ok = value.size() >= limits::kMinPhone && value.size() <= limits::kMaxPhone;
  bool digit = false;
  for (char c : value) {
    digit = digit || absl::ascii_isdigit(static_cast<unsigned char>(c));
    ok = ok && (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == ' ' || c == '+' ||
                c == '-');
  }
  if (!ok || !digit) {
    return Invalid(field, absl::StrCat("must be ", limits::kMinPhone, "-", limits::kMaxPhone,
                                       " characters of digits, spaces, '+' and '-', like "
                                       "\"08-508 301 98\" (got ", Quote(value), ")"));
  }
  return absl::OkStatus();
}

absl::Status MaxCount(absl::string_view field, int count, int max) {
  if (count > max) {
    return Invalid(field, absl::StrCat("at most ", max, " items (got ", count, ")"));
  }
  return absl::OkStatus();
}

// ---- diary numbers ----

bool IsDiaryPrefix(absl::string_view s) {
  size_t letters = 0;
  while (!s.empty()) {
    size_t n = s[0] & 0x80 ? (IsSwedishLetter(s) ? 2 : 0)
                           : (absl::ascii_isalpha(static_cast<unsigned char>(s[0])) ? 1 : 0);
    if (n == 0) return false;
    s.remove_prefix(n);
    ++letters;
  }
  return letters >= 1 && letters <= limits::kDiaryPrefixLetters;
}

absl::Status ValidateDiaryNumber(absl::string_view field, absl::string_view value) {
  if (IsBlank(value)) return Invalid(field, "is required");
  REMISS_RETURN_IF_ERROR(MaxLength(field, value, limits::kDiaryNumber));
  if (value.front() == ' ' || value.back() == ' ') {
    return Invalid(field, absl::StrCat("must not start or end with a space (got ", Quote(value), ")"));
  }
  bool digit = false;
  for (absl::string_view rest = value; !rest.empty();) {
    unsigned char c = static_cast<unsigned char>(rest[0]);
    size_t n = LetterBytes(rest);
    if (n == 0 && (absl::ascii_isdigit(c) || IsDiaryPunctuation(rest[0]))) n = 1;
    if (n == 0) {
      return Invalid(field, absl::StrCat("must be letters, digits, spaces and / - . : _ ( ) , + #"
                                         " as the diary writes it, like \"KS 2019/1939\" or "
                                         "\"N2015/06917/PUB\" (got ", Quote(value), ")"));
    }
    digit = digit || absl::ascii_isdigit(c);
    rest.remove_prefix(n);
  }
  if (!digit) {
    return Invalid(field, absl::StrCat("must contain at least one digit, like \"KS 2019/1939\" "
                                       "(got ", Quote(value), ")"));
  }
  return absl::OkStatus();
}

int DiaryNumberYear(absl::string_view value) {
  for (size_t i = 0; i < value.size();) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(value[i]))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < value.size() && absl::ascii_isdigit(static_cast<unsigned char>(value[end]))) ++end;
    if (end - i == 4) {
      int year = 0;
      for (size_t k = i; k < end; ++k) year = year * 10 + (value[k] - '0');
      if (year >= 1900 && year <= 2999) return year;
    }
    i = end;
  }
  return 0;
}

// ---- documents ----

absl::Status ValidateDocument(absl::string_view field, const remiss::v1::Document& document) {
  REMISS_RETURN_IF_ERROR(ValidateDocumentId(absl::StrCat(field, ".id"), document.id()));
  REMISS_RETURN_IF_ERROR(
      RequiredText(absl::StrCat(field, ".title"), document.title(), kMaxDocumentTitleLength));
  REMISS_RETURN_IF_ERROR(
      RequiredText(absl::StrCat(field, ".uri"), document.uri(), kMaxDocumentUriLength));
  return ValidateSha256(absl::StrCat(field, ".sha256"), document.sha256());
}

}  // namespace remiss::core
