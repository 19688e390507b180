// Checking a command's own fields, the same way in every service's domain: a refusal is
// INVALID_ARGUMENT with a message that starts with the field it is about ("title: is
// required"). Lengths count characters as a reader does (UTF-8 code points), not bytes.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "remiss/v1/common.pb.h"

// Returns early from the enclosing function when `expr` (an absl::Status) is not OK.
#define REMISS_RETURN_IF_ERROR(expr)            \
  do {                                          \
    if (absl::Status _st = (expr); !_st.ok()) { \
      return _st;                               \
    }                                           \
  } while (false)

namespace remiss::core {

// ---- building blocks ----

// INVALID_ARGUMENT "<field>: <why>".
[[nodiscard]] absl::Status Invalid(absl::string_view field, absl::string_view why);

// "statement.remarks" + 2 -> "statement.remarks[2]".
[[nodiscard]] std::string Item(absl::string_view field, int index);

// Characters as a reader counts them: UTF-8 code points (continuation bytes not counted).
[[nodiscard]] size_t CharacterCount(absl::string_view value);

// Empty or only ASCII whitespace.
[[nodiscard]] bool IsBlank(absl::string_view value);

// One or more ASCII digits and nothing else.
[[nodiscard]] bool IsAsciiDigits(absl::string_view s);

// ---- fields ----

// Not empty ("is required").
[[nodiscard]] absl::Status Required(absl::string_view field, absl::string_view value);

// At most `max` characters (an empty value passes).
[[nodiscard]] absl::Status MaxLength(absl::string_view field, absl::string_view value,
                                     size_t max);

// Not blank ("is required"), and at most `max` characters.
[[nodiscard]] absl::Status RequiredText(absl::string_view field, absl::string_view value,
                                        size_t max);

// Optional: when given, at most 200 characters and containing '@'.
[[nodiscard]] absl::Status ValidateEmail(absl::string_view field, absl::string_view value);

// A real date ("YYYY-MM-DD") later than `today`.
[[nodiscard]] absl::StatusOr<absl::CivilDay> DateAfterToday(absl::string_view field,
                                                            absl::string_view value,
                                                            absl::CivilDay today);

// Optional: when given, limits::kMinPhone-kMaxPhone characters of digits, spaces, '+' and
// '-', with at least one digit ("08-508 301 98").
[[nodiscard]] absl::Status ValidatePhone(absl::string_view field, absl::string_view value);

// At most `max` items in a repeated field: "<field>: at most <max> items (got <n>)".
[[nodiscard]] absl::Status MaxCount(absl::string_view field, int count, int max);

// ---- diary numbers (diarienummer) ----

// The letters of a diary number: 1-8 letters A-Z, a-z, Å, Ä, Ö, å, ä, ö ("KS", "BRO", "Fi").
[[nodiscard]] bool IsDiaryPrefix(absl::string_view s);

// A case number or diary number as organizations really write it: "KS 2019/1939",
// "KS2019/1939", "N2015/06917/PUB", "Dnr 1.2.3-456/2020", "2019-001939", "Dnr HV 2020/786".
// Not blank, at most limits::kDiaryNumber characters, at least one digit, no space at either
// end, and only letters (Swedish and other Latin ones), digits, spaces and the punctuation
// / - . : _ ( ) , + #. The error names `field` and quotes the value escaped.
[[nodiscard]] absl::Status ValidateDiaryNumber(absl::string_view field, absl::string_view value);

// The year a diary number names, whatever its format: its first run of exactly four digits
// that lies within 1900-2999 ("N2015/06917/PUB" -> 2015, "Dnr 1.2.3-456/2020" -> 2020); 0 when
// it has none.
[[nodiscard]] int DiaryNumberYear(absl::string_view value);

// ---- documents ----

// A document named by `field` ("document", "documents[0]"), each part checked in turn:
// id (1-64 letters, digits, '-', '_' or '.', starting with a letter or digit), title (1-300
// characters), uri (1-2000 characters) and sha256 (when given, 64 hexadecimal digits).
// The errors name "<field>.id", "<field>.title" and so on.
[[nodiscard]] absl::Status ValidateDocument(absl::string_view field,
                                            const remiss::v1::Document& document);

}  // namespace remiss::core
