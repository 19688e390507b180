// Ids every service agrees on. A round's id is derived from its case number by one rule:
// lower-case, letters (Å, Ä, Ö and other Latin ones too) and digits kept, each run of anything
// else one '-', none at either end: "KS 2019/1939" is "ks-2019-1939", "N2015/06917/PUB" is
// "n2015-06917-pub". The rule maps an id to itself, so every API that takes a referral_id
// accepts the id or the case number, in any case. Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace remiss::core {

// The round id for a case number, or the id itself (in lower case) when given an id:
// "KS 2019/1939", "ks 2019/1939" and "KS-2019-1939" all name "ks-2019-1939". Case numbers
// that differ only in case or punctuation give the same id; the referrals domain refuses the
// second of them (ALREADY_EXISTS) rather than let them collide.
[[nodiscard]] std::string NormalizeReferralId(absl::string_view id_or_case_number);

}  // namespace remiss::core
