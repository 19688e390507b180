// The names every file of the responses domain uses unqualified: the protobuf messages, the
// field limits (core/limits.h) under the domain's own names, and core's validation helpers.
// Private to the domain library; declarations only.
#pragma once

#include <cstddef>

#include "remiss/core/base/limits.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/base/validation.h"
#include "remiss/v1/responses.pb.h"
#include "remiss/views/response_view.h"

namespace remiss::responses {

using remiss::v1::AnswerKind;
using remiss::v1::Attestation;
using remiss::v1::BoardDecision;
using remiss::v1::CaseOfficer;
using remiss::v1::Consultation;
using remiss::v1::DelegationDecision;
using remiss::v1::Document;
using remiss::v1::FactCorrected;
using remiss::v1::ReferralEvent;
using remiss::v1::RequestedAnswer;
using remiss::v1::Response;
using remiss::v1::ResponseEvent;
using remiss::v1::ResponseStage;
using remiss::v1::RoundState;
using remiss::v1::RoundTermsRecorded;
using remiss::v1::Statement;

inline constexpr size_t kMaxIdLength = core::limits::kId;
inline constexpr size_t kMaxNameLength = core::limits::kName;
inline constexpr size_t kMaxPartyLength = core::limits::kParty;
inline constexpr size_t kMaxReasonLength = core::limits::kReason;
inline constexpr size_t kMaxNoteLength = core::limits::kNote;
inline constexpr size_t kMaxItemLength = core::limits::kItem;
inline constexpr size_t kMaxLongText = core::limits::kLongText;
inline constexpr size_t kMaxParagraphDigits = core::limits::kParagraphDigits;

using core::Invalid;
using core::IsAsciiDigits;
using core::IsBlank;
using core::Item;
using core::MaxLength;
using core::Required;
using core::RequiredText;
using core::ToTimestamp;
using views::StageOf;

}  // namespace remiss::responses
