// The notices service's projections, a pure fold of its own events:
//   org/<org_id>                    Organization (names, registry mailboxes; from referrals)
//   round/<referral_id>             NoticeRound (from referrals; dates from deadlines)
//   answered/<referral_id>/<org>    when its answer (or declination) was first recorded (µs,
//                                   big-endian)
//   notice/<notice_id>              Notice (its state, attempts, last reply)
//   queued/<notice_id>              NoticeQueued (what its template is filled with)
//   by-round/<referral_id>/<notice_id>, by-org/<org_id>/<notice_id>   "" : listings
//   outbox/<notice_id>              "" while it waits to be sent (queued or deferred)
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/store/projection.h"
#include "remiss/notices/domain.h"

namespace remiss::notices {

// Read access to projections, inside a transaction or over committed state.
using Reader = core::ProjectionReader;
using core::ReaderOf;

constexpr absl::string_view kOutboxPrefix = "outbox/";
std::string NoticeStream(absl::string_view notice_id);
std::optional<remiss::v1::Notice> LoadNotice(const Reader& reader, absl::string_view notice_id);
std::optional<remiss::v1::NoticeQueued> LoadQueued(const Reader& reader, absl::string_view notice_id);
std::optional<remiss::v1::Organization> LoadOrganization(const Reader& reader, absl::string_view org_id);
// The round as the decisions read it: the round, its addressees' and sender's organizations,
// who answered, which notices are queued.
RoundView LoadRoundView(const Reader& reader, absl::string_view referral_id);
// The notices under a listing prefix ("by-round/<id>/" or "by-org/<id>/"), by notice id.
std::vector<remiss::v1::Notice> ListNotices(const Reader& reader, const std::string& prefix);

class NoticesProjector final : public core::Projector {
 public:
  absl::Status Apply(const remiss::v1::EventEnvelope& event, core::ProjectionTx& tx) override;
};

}  // namespace remiss::notices
