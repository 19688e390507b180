// The responses service's projections, a pure fold of its own events:
//   round/<referral_id>             RoundTermsRecorded (the round's current terms)
//   round-orgs/<referral_id>        every org ever addressed, one id per line
//   resp/<referral_id>/<org_id>     Response (the domain state of one board's answer)
//   org/<org_id>/<referral_id>      "" : what an organization has been asked for
//   sender/<org_id>                 OrganizationSendingRight (the right last restated)
// Command handlers read the same projections as current state.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/responses.pb.h"

namespace remiss::responses {

std::string RoundKey(absl::string_view referral_id);
std::string ResponseKey(absl::string_view referral_id, absl::string_view org_id);
std::string ResponsePrefix(absl::string_view referral_id);   // "resp/<referral_id>/"
std::string OrganizationPrefix(absl::string_view org_id);    // "org/<org_id>/"
std::string RoundStream(absl::string_view referral_id);
std::string ResponseStream(absl::string_view referral_id, absl::string_view org_id);
std::string SenderStream(absl::string_view org_id);  // "sender/<org_id>"

std::optional<remiss::v1::RoundTermsRecorded> LoadTerms(core::ProjectionTx& tx,
                                                        absl::string_view referral_id);
std::optional<remiss::v1::OrganizationSendingRight> LoadSendingRight(core::ProjectionTx& tx,
                                                                    absl::string_view org_id);
std::optional<remiss::v1::Response> LoadResponse(core::ProjectionTx& tx,
                                                 absl::string_view referral_id,
                                                 absl::string_view org_id);

class ResponsesProjector final : public core::Projector {
 public:
  absl::Status Apply(const remiss::v1::EventEnvelope& event, core::ProjectionTx& tx) override;
};

}  // namespace remiss::responses
