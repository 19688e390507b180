// The deadlines service's projections, a pure fold of its own events:
//   dl/<referral_id>/<org_id>            Deadline
//   cal/<org_id>                         BoardCalendar
//   policy/<referral_id>                 ReminderPolicySet (absent: the default policy)
//   open/<org_id>/<referral_id>          "" while the deadline is open or breached
//   due/<due micros>/<referral_id>/<org_id>     "" while open or breached: overdue queries
//   due-by-org/<org_id>/<effective date>/<referral_id>  "" while open (not breached): what
//                                        an organization has due, by date
//   timer/<at micros>/<referral_id>/<org_id>/<kind>/<days>  "" : the timers (domain TimersFor)
//   owner/<referral_id>                  the round's owner (organization id), as the latest
//                                        DeadlineScheduled of the round that names one states it
//   sender/<org_id>                      SenderRightObserved (the organization's right to send
//                                        rounds as last observed; absent: never observed)
// Timers are kept equal to TimersFor(deadline, policy, calendar) whenever any of the three
// changes, so they live in RocksDB, not in memory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "remiss/core/store/event_store.h"
#include "remiss/deadlines/domain.h"
#include "remiss/v1/deadlines.pb.h"

namespace remiss::deadlines {

std::string DeadlineKey(absl::string_view referral_id, absl::string_view org_id);
std::string DeadlinePrefix(absl::string_view referral_id);  // "dl/<referral_id>/"
std::string OpenPrefix(absl::string_view org_id);            // "open/<org_id>/"
std::string DueByOrgPrefix(absl::string_view org_id);        // "due-by-org/<org_id>/"
std::string DeadlineStream(absl::string_view referral_id, absl::string_view org_id);
std::string CalendarStream(absl::string_view org_id);
std::string PolicyStream(absl::string_view referral_id);
std::string SenderStream(absl::string_view org_id);  // "sender/<org_id>"

// A timer as stored: its key and what it is for.
struct StoredTimer {
  Timer timer;
  std::string referral_id;
  std::string org_id;
};
std::string TimerKey(const StoredTimer& t);
std::optional<StoredTimer> ParseTimerKey(absl::string_view key);
// The timer a TimerFired names, and the TimerFired of a timer.
StoredTimer TimerOf(const remiss::v1::TimerFired& e);
remiss::v1::TimerFired FiredFact(const StoredTimer& t);
constexpr absl::string_view kTimerPrefix = "timer/";
constexpr absl::string_view kDuePrefix = "due/";
// The key bound below which every timer at or before `t` sorts.
std::string TimerKeyBound(absl::Time t);
// Parses a due/ key's referral and org.
std::optional<std::pair<std::string, std::string>> ParseDueKey(absl::string_view key);
// Parses the referral id out of a due-by-org/ key of the organization `org_id`.
std::optional<std::string> ParseDueByOrgKey(absl::string_view key, absl::string_view org_id);

std::optional<remiss::v1::Deadline> LoadDeadline(core::ProjectionTx& tx,
                                                 absl::string_view referral_id,
                                                 absl::string_view org_id);
remiss::v1::BoardCalendar LoadCalendar(core::ProjectionTx& tx, absl::string_view org_id);
std::vector<absl::CivilDay> MeetingDays(const remiss::v1::BoardCalendar& calendar);
std::vector<int32_t> LoadReminderDays(core::ProjectionTx& tx, absl::string_view referral_id);
// The round's owner as deadlines knows it; empty when no deadline of it named one.
std::string LoadOwner(core::ProjectionTx& tx, absl::string_view referral_id);

// The organization's right to send rounds as this service last observed it; nullopt when
// never observed.
std::optional<remiss::v1::SenderRightObserved> LoadSenderRight(core::ProjectionTx& tx,
                                                               absl::string_view org_id);

class DeadlinesProjector final : public core::Projector {
 public:
  absl::Status Apply(const remiss::v1::EventEnvelope& event, core::ProjectionTx& tx) override;
};

}  // namespace remiss::deadlines
