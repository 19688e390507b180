#include "remiss/responses/projector.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "remiss/responses/domain.h"

namespace remiss::responses {
namespace {

using remiss::v1::Response;
using remiss::v1::ResponseEvent;
using remiss::v1::RoundTermsRecorded;

template <typename Message>
std::optional<Message> Load(core::ProjectionTx& tx, const std::string& key) {
  auto bytes = tx.Get(key);
  Message m;
  if (!bytes || !m.ParseFromString(*bytes)) return std::nullopt;
  return m;
}

std::string RoundOrgsKey(absl::string_view referral_id) {
  return absl::StrCat("round-orgs/", referral_id);
}

absl::Time RecordedAt(const remiss::v1::EventEnvelope& e) {
  return absl::FromUnixSeconds(e.recorded_at().seconds()) + absl::Nanoseconds(e.recorded_at().nanos());
}

// The org of a response event: every response event's message has org_id as field 2.
std::string OrgOf(const ResponseEvent& event) {
  const auto* refl = event.GetReflection();
  const auto* field = refl->GetOneofFieldDescriptor(event, event.GetDescriptor()->oneof_decl(0));
  if (field == nullptr) return "";
  const google::protobuf::Message& inner = refl->GetMessage(event, field);
  const auto* org = inner.GetDescriptor()->FindFieldByName("org_id");
  return org == nullptr ? "" : inner.GetReflection()->GetString(inner, org);
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

std::optional<RoundTermsRecorded> LoadTerms(core::ProjectionTx& tx, absl::string_view referral_id) {
  return Load<RoundTermsRecorded>(tx, RoundKey(referral_id));
}

std::optional<Response> LoadResponse(core::ProjectionTx& tx, absl::string_view referral_id,
                                     absl::string_view org_id) {
  return Load<Response>(tx, ResponseKey(referral_id, org_id));
}

absl::Status ResponsesProjector::Apply(const remiss::v1::EventEnvelope& envelope,
                                       core::ProjectionTx& tx) {
  if (!envelope.has_responses()) return absl::OkStatus();
  const ResponseEvent& event = envelope.responses();
  if (event.has_round_terms_recorded()) {
    ApplyRoundTerms(event.round_terms_recorded(), tx);
    return absl::OkStatus();
  }
  const std::string& referral_id = envelope.partition_key();
  const std::string org_id = OrgOf(event);
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
