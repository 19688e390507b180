#include "remiss/responses/projector.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "remiss/core/store/projection.h"
#include "remiss/responses/domain.h"

namespace remiss::responses {
namespace {

using core::LoadMessage;
using core::RecordedAt;
using remiss::v1::Response;
using remiss::v1::ResponseEvent;
using remiss::v1::RoundTermsRecorded;

std::string RoundOrgsKey(absl::string_view referral_id) {
  return absl::StrCat("round-orgs/", referral_id);
}

void PutResponse(core::ProjectionTx& tx, const Response& r) {
  tx.Put(ResponseKey(r.referral_id(), r.org_id()), r.SerializeAsString());
}

// Every row of the round follows its new terms; new addressees get a row.
void ApplyRoundTerms(const RoundTermsRecorded& terms, core::ProjectionTx& tx) {
  const std::string& referral_id = terms.referral_id();
  std::vector<std::string> orgs;
  if (auto known = tx.Get(RoundOrgsKey(referral_id)); known && !known->empty()) {
    orgs = absl::StrSplit(*known, '\n');
  }
  for (const auto& a : terms.addressees()) {
    if (std::find(orgs.begin(), orgs.end(), a.org_id()) == orgs.end()) orgs.push_back(a.org_id());
  }
  tx.Put(RoundKey(referral_id), terms.SerializeAsString());
  tx.Put(RoundOrgsKey(referral_id), absl::StrJoin(orgs, "\n"));
  for (const std::string& org : orgs) {
    std::optional<Response> row = LoadResponse(tx, referral_id, org);
    PutResponse(tx, ApplyTerms(terms, org, row ? &*row : nullptr));
    tx.Put(absl::StrCat(OrganizationPrefix(org), referral_id), "");
  }
}

}  // namespace

std::string RoundKey(absl::string_view referral_id) { return absl::StrCat("round/", referral_id); }
std::string ResponseKey(absl::string_view referral_id, absl::string_view org_id) {
  return absl::StrCat(ResponsePrefix(referral_id), org_id);
}
std::string ResponsePrefix(absl::string_view referral_id) {
  return absl::StrCat("resp/", referral_id, "/");
}
std::string OrganizationPrefix(absl::string_view org_id) { return absl::StrCat("org/", org_id, "/"); }
std::string RoundStream(absl::string_view referral_id) { return absl::StrCat("round/", referral_id); }
std::string ResponseStream(absl::string_view referral_id, absl::string_view org_id) {
  return absl::StrCat("response/", referral_id, "/", org_id);
}

std::string SenderStream(absl::string_view org_id) { return absl::StrCat("sender/", org_id); }

std::optional<remiss::v1::OrganizationSendingRight> LoadSendingRight(core::ProjectionTx& tx,
                                                                    absl::string_view org_id) {
  return LoadMessage<remiss::v1::OrganizationSendingRight>(tx, absl::StrCat("sender/", org_id));
}

std::optional<RoundTermsRecorded> LoadTerms(core::ProjectionTx& tx, absl::string_view referral_id) {
  return LoadMessage<RoundTermsRecorded>(tx, RoundKey(referral_id));
}

std::optional<Response> LoadResponse(core::ProjectionTx& tx, absl::string_view referral_id,
                                     absl::string_view org_id) {
  return LoadMessage<Response>(tx, ResponseKey(referral_id, org_id));
}

absl::Status ResponsesProjector::Apply(const remiss::v1::EventEnvelope& envelope,
                                       core::ProjectionTx& tx) {
  if (!envelope.has_responses()) return absl::OkStatus();
  const ResponseEvent& event = envelope.responses();
  if (event.has_round_terms_recorded()) {
    ApplyRoundTerms(event.round_terms_recorded(), tx);
    return absl::OkStatus();
  }
  if (event.has_organization_sending_right()) {
    const auto& right = event.organization_sending_right();
    tx.Put(absl::StrCat("sender/", right.org_id()), right.SerializeAsString());
    return absl::OkStatus();
  }
  const std::string& referral_id = envelope.partition_key();
  // Every response event's message has the org's id as org_id.
  const std::string org_id = core::StringFieldOfOneof(event, "org_id");
  std::optional<Response> row = LoadResponse(tx, referral_id, org_id);
  if (!row) {
    return absl::DataLossError(absl::StrCat(envelope.type(), " for ", referral_id, "/", org_id,
                                            ", which has no response row"));
  }
  Evolve(*row, event, envelope.stream_version(), RecordedAt(envelope));
  PutResponse(tx, *row);
  return absl::OkStatus();
}

}  // namespace remiss::responses
