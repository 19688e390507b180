// The responses domain's rules for the facts a board records, shared by the commands that
// record them (src/decisions.cc) and by corrections (src/corrections.cc): each checks a fact's
// own fields (INVALID_ARGUMENT naming the field, with `prefix` saying where the fact sits in
// the request: "officer." or "case_officer_assigned.officer."), limits from
// remiss/core/limits.h. Private to the domain library. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "remiss/v1/common.pb.h"
#include "remiss/v1/responses.pb.h"

namespace remiss::responses::internal {

// A board's own diary number, as its diary writes it (core::ValidateDiaryNumber).
[[nodiscard]] absl::Status ValidateDiaryNumber(absl::string_view field, absl::string_view value);
// A real date not after today.
[[nodiscard]] absl::StatusOr<absl::CivilDay> DateNotAfterToday(absl::string_view field,
                                                               absl::string_view value,
                                                               absl::CivilDay today);
// At most limits::kDocuments documents, each complete, ids unique within the list.
[[nodiscard]] absl::Status ValidateDocuments(
    absl::string_view field, const google::protobuf::RepeatedPtrField<remiss::v1::Document>& documents);
// The documents as recorded: sha256 in lower case.
void NormalizeDocuments(google::protobuf::RepeatedPtrField<remiss::v1::Document>& documents);
// "§ 5" or "§5" -> "§ 5"; nullopt when it is no paragraph.
[[nodiscard]] std::optional<std::string> NormalizedParagraph(absl::string_view value);

// ---- the facts ----
[[nodiscard]] absl::Status ValidateRegistration(absl::string_view prefix,
                                                absl::string_view diary_number,
                                                absl::string_view registered_on,
                                                absl::CivilDay today);
[[nodiscard]] absl::Status ValidateOfficer(absl::string_view prefix,
                                           const remiss::v1::CaseOfficer& officer);
[[nodiscard]] absl::Status ValidateConsultation(absl::string_view prefix,
                                                const remiss::v1::Consultation& c);
[[nodiscard]] absl::Status ValidateStatement(absl::string_view prefix,
                                             const remiss::v1::Statement& s);
[[nodiscard]] absl::Status ValidateAttestation(absl::string_view prefix,
                                               const remiss::v1::Attestation& a,
                                               absl::CivilDay today);
[[nodiscard]] absl::Status ValidateBoardDecision(absl::string_view prefix,
                                                 const remiss::v1::BoardDecision& d,
                                                 absl::CivilDay today);
[[nodiscard]] absl::Status ValidateDelegation(absl::string_view prefix,
                                              const remiss::v1::DelegationDecision& d,
                                              absl::CivilDay today);
// The decision and statement as recorded: the paragraph as "§ 5", sha256 in lower case.
[[nodiscard]] remiss::v1::BoardDecision NormalizedDecision(const remiss::v1::BoardDecision& d);
[[nodiscard]] remiss::v1::Statement NormalizedStatement(const remiss::v1::Statement& s);

}  // namespace remiss::responses::internal
