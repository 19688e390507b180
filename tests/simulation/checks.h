// The simulation's invariants (DESIGN.md, "Proving it: the simulation"), checked against the
// model (world.h) and what the services show: after every step the cheap ones on what the
// stores publish, at quiescence all of I1-I7. A violation is one line naming the invariant.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/envelope.pb.h"
#include "tests/simulation/world.h"

namespace remiss::sim {

class System;

class Checker {
 public:
  explicit Checker(World* world) : world_(world) {}

  // After every step: what each running store publishes holds each position once with one
  // content (I3), nothing of a refused command (I2), nothing past its published position, and
  // nothing new while it is poisoned (the one rule).
  void AfterStep(System& system, int step);
  // A service's store was opened again (a restart): reading starts over, and positions seen
  // before must hold the same events.
  void Reopened(const std::string& service);
  // A service's store was restored from its topic, which held its log up to `kept`: the
  // acknowledged events after it were lost with the disk (excused from I1 and I3).
  void Restored(const std::string& service, uint64_t kept, int step);
  // `consumer` took more of a source than the source's restore kept (relay lag): it parks
  // ahead of it (checked by the runner), so it is not expected to be caught up.
  void ExpectParkedAhead(const std::string& consumer) { parked_ahead_.insert(consumer); }

  // At quiescence (faults over, every service caught up): I1-I6 on the services' logs.
  void AtQuiescence(System& system, absl::Time now);
  // A topic's messages (Kafka wirings): each position of the store's log exactly once in
  // content (repeats equal), none missing (I1, I3).
  void CheckTopic(const std::string& service, const std::vector<std::string>& values,
                  uint64_t head);

  void Violation(const std::string& what);
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  void CheckEvent(const std::string& service, const remiss::v1::EventEnvelope& e,
                  const std::string& content);
  void CheckLedger(System& system);
  void CheckDeadlines(const std::vector<remiss::v1::EventEnvelope>& log, absl::Time now);
  void CheckConsumers(System& system);

  World* world_;
  int step_ = 0;
  std::map<std::string, std::map<uint64_t, std::string>> seen_;  // service -> position -> event_id
  std::map<std::string, uint64_t> read_to_;     // service -> read this store life up to
  std::map<std::string, uint64_t> published_;   // service -> highest position it published
  std::map<std::string, uint64_t> frozen_at_;   // poisoned service -> its published position then
  struct Loss {
    int step;
    uint64_t kept;
  };
  std::map<std::string, std::vector<Loss>> losses_;
  std::set<std::string> parked_ahead_;  // consumers
  std::vector<std::string> violations_;
};

}  // namespace remiss::sim
