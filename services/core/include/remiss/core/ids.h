// Ids every service agrees on. A round's id comes from its case number: "KS 2019/1939" is
// "ks-2019-1939" (lower-case, Å/Ä/Ö too; space and '/' become '-'), and every API that
// takes a referral_id accepts either, in any case.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace remiss::core {

// The round id for a case number, or `id_or_case_number` in lower case when it is already
// an id (has no space): "KS-2019-1939" names ks-2019-1939 too.
[[nodiscard]] std::string NormalizeReferralId(absl::string_view id_or_case_number);

}  // namespace remiss::core
