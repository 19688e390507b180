#include "tests/simulation/checks.h"

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/server/module_settings.h"
#include "tests/simulation/system.h"

namespace remiss::sim {

using remiss::v1::EventEnvelope;

namespace {

std::string Content(const EventEnvelope& e) {
  return absl::StrCat(std::hash<std::string>{}(e.SerializeAsString()));
}

absl::Time At(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// Reminders go out at 08:00 Stockholm time (DOMAIN.md).
absl::Time ReminderInstant(absl::CivilDay day) {
  static const absl::TimeZone stockholm = [] {
    absl::TimeZone z;
    if (!absl::LoadTimeZone("Europe/Stockholm", &z)) std::abort();
    return z;
  }();
  return absl::FromCivil(absl::CivilHour(day.year(), day.month(), day.day(), 8), stockholm);
}

std::vector<EventEnvelope> WholeLog(core::EventStore& store) {
  std::vector<EventEnvelope> out;
  uint64_t from = 1;
  while (true) {
    auto chunk = store.ReadLog(from, 5000);
    if (!chunk.ok() || chunk->empty()) break;
    from = chunk->back().position() + 1;
    for (auto& e : *chunk) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

void Checker::Violation(const std::string& what) {
  violations_.push_back(absl::StrCat("step ", step_, ": ", what));
}

void Checker::CheckEvent(const std::string& service, const EventEnvelope& e,
                         const std::string& content) {
  auto [it, added] = seen_[service].emplace(e.position(), content);
  if (!added && it->second != content) {
    Violation(absl::StrCat("I3 ", service, " position ", e.position(),
                           " holds two different events (now ", e.type(), ")"));
    it->second = content;
  }
  if (e.command_id().empty()) return;
  auto l = world_->ledger().find({service, e.actor().org_id(), e.command_id()});
  if (l != world_->ledger().end() && !l->second.tries.empty() && l->second.only_refused()) {
    Violation(absl::StrCat("I2 ", service, " position ", e.position(), " (", e.type(),
                           ") is of command ", e.command_id(), " of ", e.actor().org_id(),
                           ", which was refused: ", l->second.tries.back().message));
  }
}

void Checker::AfterStep(System& system, int step) {
  step_ = step;
  for (const std::string& s : Services()) {
    core::EventStore* store = system.store(s);
    if (store == nullptr) continue;
    const bool poisoned = !store->Poisoned().ok();
    const uint64_t l1 = store->LastPosition();
    if (poisoned && !frozen_at_.count(s)) frozen_at_[s] = l1;
    // What a store published was durable: no reopen may take it back (only a restore that
    // lost the disk, excused in Restored).
    if (const uint64_t high = published_[s]; l1 < high) {
      Violation(absl::StrCat("I1 ", s, " published up to position ", high,
                             " and now holds only up to ", l1));
      published_[s] = l1;
    }
    uint64_t& read = read_to_[s];
    auto events = store->ReadLog(read + 1, 1 << 20);
    if (events.ok()) {
      for (const EventEnvelope& e : *events) {
        if (e.position() != read + 1) {
          Violation(absl::StrCat("I1 ", s, " log has a gap: ", e.position(), " after ", read));
        }
        CheckEvent(s, e, Content(e));
        read = e.position();
      }
    }
    published_[s] = std::max(published_[s], read);
    auto beyond = store->ReadLog(l1 + 1, 8);
    const uint64_t l2 = store->LastPosition();
    if (beyond.ok()) {
      for (const EventEnvelope& e : *beyond) {
        if (e.position() > l2) {
          Violation(absl::StrCat("one rule: ", s, " shows position ", e.position(), " (", e.type(),
                                 ") past its published position ", l2,
                                 poisoned ? " while poisoned" : ""));
          break;
        }
      }
    }
    if (auto f = frozen_at_.find(s); f != frozen_at_.end() && read > f->second) {
      Violation(absl::StrCat("one rule: ", s, " published up to ", read,
                             " after it was poisoned at ", f->second));
      f->second = read;
    }
  }
}

void Checker::Reopened(const std::string& service) {
  read_to_[service] = 0;
  frozen_at_.erase(service);
}

void Checker::Restored(const std::string& service, uint64_t kept, int step) {
  losses_[service].push_back(Loss{step, kept});
  auto& seen = seen_[service];
  seen.erase(seen.upper_bound(kept), seen.end());
  published_[service] = std::min(published_[service], kept);
  Reopened(service);
}

void Checker::CheckTopic(const std::string& service, const std::vector<std::string>& values,
                         uint64_t head) {
  std::map<uint64_t, std::string> at;
  for (const std::string& v : values) {
    EventEnvelope e;
    if (!e.ParseFromString(v)) {
      Violation(absl::StrCat("I1 topic of ", service, " holds a message that is not an envelope"));
      continue;
    }
    const std::string content = Content(e);
    auto [it, added] = at.emplace(e.position(), content);
    if (!added && it->second != content) {
      Violation(absl::StrCat("I3 topic of ", service, " holds two events at position ", e.position()));
    }
    auto s = seen_[service].find(e.position());
    if (s != seen_[service].end() && s->second != content) {
      Violation(absl::StrCat("I3 topic of ", service, " position ", e.position(),
                             " differs from the store's"));
    }
  }
  for (uint64_t p = 1; p <= head; ++p) {
    if (!at.count(p)) {
      Violation(absl::StrCat("I1 topic of ", service, " lacks position ", p, " of ", head));
      break;
    }
  }
}

void Checker::CheckLedger(System& system) {
  std::map<std::string, std::map<std::pair<std::string, std::string>, std::vector<uint64_t>>> by_id;
  std::map<std::string, uint64_t> heads;
  for (const std::string& s : Services()) {
    core::EventStore* store = system.store(s);
    if (store == nullptr) continue;
    heads[s] = store->LastPosition();
    for (const EventEnvelope& e : WholeLog(*store)) {
      if (!e.command_id().empty()) by_id[s][{e.actor().org_id(), e.command_id()}].push_back(e.position());
    }
  }
  for (const auto& [key, l] : world_->ledger()) {
    const auto& [service, org, id] = key;
    if (!heads.count(service)) continue;
    const std::vector<uint64_t>& found = by_id[service][{org, id}];
    for (const Ledger::Try& t : l.tries) {
      if (Undocumented(t.code)) {
        Violation(absl::StrCat("answer ", service, " ", l.command.rpc, " ", id, ": code ",
                               static_cast<int>(t.code), " ", t.message));
      }
    }
    const Ledger::Try* ok = l.first_ok();
    if (ok == nullptr) {
      if (l.only_refused() && !found.empty()) {
        Violation(absl::StrCat("I2 ", service, " holds events of refused command ", id, " of ", org));
      }
      continue;
    }
    // A service remembers a command id for its command retention (the default System keeps);
    // a try after that is a new command.
    const absl::Duration retention = core::ModuleSettings{}.command_retention;
    for (const Ledger::Try& t : l.tries) {
      // The tries after the first OK, and those sent together with it (world.cc, first_ok).
      if (&t == ok || t.step < ok->step || t.at >= ok->at + retention) continue;
      // One sent together with the first OK may have run before it: its own content's
      // refusal is then the right answer (but never OK: both cannot have run).
      const bool together = t.step == ok->step && t.code != grpc::StatusCode::OK;
      if (!t.same_content && !together && t.code != grpc::StatusCode::ALREADY_EXISTS &&
          FateOf(t.code) != Fate::kInDoubt) {
        Violation(absl::StrCat("retry of ", id, " with other content answered ",
                               static_cast<int>(t.code), " (", t.message, "), not ALREADY_EXISTS"));
      }
      if (t.same_content && t.code == grpc::StatusCode::OK &&
          (!t.result.repeated() || t.result.first_position() != ok->result.first_position() ||
           t.result.last_position() != ok->result.last_position())) {
        Violation(absl::StrCat("retry of ", id, " (", l.command.rpc, ") got another result: ",
                               t.result.ShortDebugString(), " vs ", ok->result.ShortDebugString()));
      }
    }
    const uint64_t first = ok->result.first_position(), last = ok->result.last_position();
    if (first == 0) continue;
    bool lost = false;
    for (const Loss& loss : losses_[service]) lost = lost || (loss.step >= ok->step && last > loss.kept);
    if (lost) continue;
    // A try after the retention ran as a new command and recorded events of its own, later
    // in the log (seed 3768: a SetReminderPolicy again 30 simulated days on).
    bool again_after_retention = false;
    for (const Ledger::Try& t : l.tries) again_after_retention |= t.at >= ok->at + retention;
    std::vector<uint64_t> own, other;
    for (uint64_t p : found) (p >= first && p <= last ? own : other).push_back(p);
    const bool others_explained =
        again_after_retention &&
        std::all_of(other.begin(), other.end(), [&](uint64_t p) { return p > last; });
    if (own.size() != last - first + 1 || (!other.empty() && !others_explained)) {
      Violation(absl::StrCat("I1 ", service, " ", l.command.rpc, " ", id, " of ", org,
                             " acknowledged at ", first, "..", last, " but its events are at ",
                             found.empty() ? "none" : absl::StrCat(found.front(), "..", found.back(),
                                                                   " (", found.size(), ")")));
    }
  }
}

void Checker::CheckConsumers(System& system) {
  for (const std::string& consumer : Services()) {
    core::EventStore* c = system.store(consumer);
    if (c == nullptr || parked_ahead_.count(consumer)) continue;  // parked: checked by the runner
    for (const std::string& source : SourcesOf(consumer)) {
      core::EventStore* s = system.store(source);
      if (s == nullptr) continue;
      uint64_t taken = 0;
      for (const auto& [src, partition, cursor] : c->FeedCursors()) {
        if (src == source) taken = std::max<uint64_t>(taken, cursor.position);
      }
      if (taken < s->LastPosition()) {
        Violation(absl::StrCat("I1 ", consumer, " took ", source, " up to ", taken, " of ",
                               s->LastPosition()));
      }
    }
  }
  // No source event applied twice: what one source event led to stands together in the log.
  for (const std::string& consumer : {"responses", "deadlines", "followup"}) {
    core::EventStore* c = system.store(consumer);
    if (c == nullptr) continue;
    std::set<std::pair<std::string, uint64_t>> done;
    std::pair<std::string, uint64_t> current;
    for (const EventEnvelope& e : WholeLog(*c)) {
      if (!e.has_consumed()) {
        current = {};
        continue;
      }
      std::pair<std::string, uint64_t> from{e.consumed().source(), e.consumed().position()};
      if (from == current) continue;
      current = from;
      if (!done.insert(from).second) {
        Violation(absl::StrCat("I1 ", consumer, " applied ", from.first, "@", from.second, " twice"));
      }
    }
  }
}

void Checker::CheckDeadlines(const std::vector<EventEnvelope>& log, absl::Time now) {
  using Key = std::pair<std::string, std::string>;
  std::map<Key, std::vector<absl::Time>> breaches;
  std::map<std::tuple<std::string, std::string, int, std::string>, int> reminders;
  std::map<Key, std::vector<std::pair<absl::CivilDay, int>>> reminded;
  for (const EventEnvelope& e : log) {
    if (!e.has_deadlines()) continue;
    const auto& d = e.deadlines();
    if (d.has_deadline_breached()) {
      const auto& b = d.deadline_breached();
      breaches[{b.referral_id(), b.org_id()}].push_back(At(b.due_at()));
    } else if (d.has_reminder_issued()) {
      const auto& r = d.reminder_issued();
      if (++reminders[{r.referral_id(), r.org_id(), r.days_before(), r.effective_date()}] == 2) {
        Violation(absl::StrCat("I5 reminder ", r.days_before(), " days before ", r.effective_date(),
                               " to ", r.org_id(), " for ", r.referral_id(), " issued twice"));
      }
      auto day = core::ParseCivilDate("effective_date", r.effective_date());
      if (day.ok()) reminded[{r.referral_id(), r.org_id()}].push_back({*day, r.days_before()});
    }
  }
  for (const auto& [id, round] : world_->rounds()) {
    if (!round.issued || round.uncertain || round.closed) continue;
    for (const auto& [org, d] : round.boards) {
      if (d.uncertain) continue;
      auto eff = world_->Effective(round, d);
      if (!eff) continue;
      const absl::Time due = core::EndOfStockholmDay(*eff);
      const std::vector<absl::Time>& b = breaches[{id, org}];
      std::optional<absl::Time> ended = d.settled_at;
      if (round.withdrawn_at && (!ended || *round.withdrawn_at < *ended)) ended = round.withdrawn_at;
      const std::string who = absl::StrCat(org, " in ", id, " (due ", absl::FormatTime(due), ")");
      if (b.size() > 1) Violation(absl::StrCat("I4 breach declared ", b.size(), " times for ", who));
      if (ended && *ended + absl::Seconds(1) < due && !b.empty()) {
        Violation(absl::StrCat("I4 false breach for ", who, ": it ended (answered, declined, "
                               "removed or withdrawn) at ", absl::FormatTime(*ended)));
      }
      if (!ended && now > due + absl::Seconds(1) && b.size() != 1 && round.issued_at &&
          *round.issued_at < due) {
        Violation(absl::StrCat("I4 real breach of ", who, " declared ", b.size(), " times by ",
                               absl::FormatTime(now)));
      }
      for (absl::Time at : b) {
        if (at != due) {
          Violation(absl::StrCat("I4 breach of ", who, " names due ", absl::FormatTime(at)));
        }
      }
      if (ended) {
        for (const auto& [day, days] : reminded[{id, org}]) {
          const absl::Time instant = ReminderInstant(day - days);
          if (*ended + absl::Seconds(1) < instant) {
            Violation(absl::StrCat("I5 reminder (", days, " days before ", core::FormatCivilDate(day),
                                   ") to ", who, " after it ended at ", absl::FormatTime(*ended)));
          }
        }
      }
    }
  }
}

void Checker::AtQuiescence(System& system, absl::Time now) {
  CheckLedger(system);
  CheckConsumers(system);
  if (core::EventStore* d = system.store("deadlines")) CheckDeadlines(WholeLog(*d), now);
  // I6: live = rebuilt.
  for (const std::string& s : Services()) {
    core::EventStore* store = system.store(s);
    if (store == nullptr) continue;
    const core::Digest live = store->ProjectionDigest();
    auto rebuilt = store->RebuildProjections();
    if (!rebuilt.ok()) {
      Violation(absl::StrCat("I6 ", s, " rebuild failed: ", rebuilt.status().ToString()));
      continue;
    }
    if (rebuilt->sha256 != live.sha256) {
      Violation(absl::StrCat("I6 ", s, " live projections (", live.entries, " entries, log ",
                             live.log_position, ") differ from a rebuild (", rebuilt->entries,
                             " entries, log ", rebuilt->log_position, ")"));
    }
  }
}

}  // namespace remiss::sim
