#include "remiss/core/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/civil_date.h"

namespace remiss::core {
namespace {

constexpr size_t kMaxEmailLength = 200;
constexpr size_t kMaxDocumentIdLength = 64;
constexpr size_t kMaxDocumentTitleLength = 300;
constexpr size_t kMaxDocumentUriLength = 2000;

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

int CapitalLetterCount(absl::string_view s) {
  int letters = 0;
  for (size_t i = 0; i < s.size(); ++letters) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 'A' && c <= 'Z') {
      i += 1;
      continue;
    }
    // Å = C3 85, Ä = C3 84, Ö = C3 96.
    if (c == 0xC3 && i + 1 < s.size()) {
      unsigned char next = static_cast<unsigned char>(s[i + 1]);
      if (next == 0x85 || next == 0x84 || next == 0x96) {
        i += 2;
        continue;
      }
    }
    return -1;
  }
  return letters;
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

// ---- diary numbers ----

bool IsDiaryPrefix(absl::string_view s) {
  int n = CapitalLetterCount(s);
  return n >= 1 && n <= static_cast<int>(kMaxDiaryPrefixLetters);
}

bool IsDiaryNumber(absl::string_view value) {
  size_t space = value.find(' ');
  if (space == absl::string_view::npos) return false;
  absl::string_view prefix = value.substr(0, space);
  absl::string_view rest = value.substr(space + 1);
  size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return false;
  absl::string_view year = rest.substr(0, slash);
  absl::string_view serial = rest.substr(slash + 1);
  return IsDiaryPrefix(prefix) && year.size() == 4 && IsAsciiDigits(year) &&
         serial.size() <= 7 && IsAsciiDigits(serial);
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
