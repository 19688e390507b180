#include "tests/simulation/simulation.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/kafka/kafka_properties.h"
#include "tests/faults/fault_support.h"
#include "tests/simulation/checks.h"
#include "tests/simulation/mock_kafka.h"
#include "tests/simulation/world.h"
#include "tests/support/health.h"

namespace remiss::sim {

// Where the run is, for a fatal signal's last words (simulate_main.cc).
char g_where[256] = "";

const char* WiringName(Wiring w) {
  switch (w) {
    case Wiring::kRemissd:
      return "remissd";
    case Wiring::kRemissdKafka:
      return "remissd+kafka";
    case Wiring::kKafka:
      return "kafka";
  }
  return "?";
}

namespace {

const std::map<std::string, std::string>& GrpcServices() {
  static const std::map<std::string, std::string> kNames = {
      {"referrals", "remiss.v1.ReferralService"},
      {"responses", "remiss.v1.ResponseService"},
      {"deadlines", "remiss.v1.DeadlineService"},
      {"followup", "remiss.v1.FollowupService"}};
  return kNames;
}

class Run {
 public:
  explicit Run(const RunOptions& options)
      : options_(options),
        random_(options.seed * 0x9E3779B97F4A7C15ull + 1),
        clock_(absl::FromCivil(absl::CivilMinute(2026, 1, 12, 6, 0), absl::UTCTimeZone()) +
               absl::Hours(static_cast<int>(options.seed % 2000))),
        world_(options.seed),
        checker_(&world_) {
    start_ = clock_.Now();
    result_.seed = options.seed;
    result_.wiring = options.wiring ? *options.wiring : DrawWiring();
  }

  RunResult Go() {
    const absl::Time wall = absl::Now();
    dir_ = absl::StrCat(options_.dir, "/seed-", options_.seed, "-", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    if (result_.wiring != Wiring::kRemissd) {
      core::SetKafkaClientProperties(kSimulationKafkaProperties);
      auto kafka = MockKafka::Start(3);
      if (!kafka.ok()) return Fail(absl::StrCat("mock cluster: ", kafka.status().ToString()));
      kafka_ = std::move(*kafka);
      if (auto s = kafka_->CreateTopics(Services()); !s.ok()) {
        return Fail(absl::StrCat("topics: ", s.ToString()));
      }
    }
    SystemOptions so;
    so.wiring = result_.wiring;
    so.dir = dir_;
    so.clock = &clock_;
    // From the seed, not from random_, so that adding it replays every earlier seed's run.
    so.rebuild_chunk_events = 1 + options_.seed % 32;
    if (kafka_) {
      so.brokers = kafka_->bootstraps();
      so.topics = kafka_->Topics();
    }
    system_ = std::make_unique<System>(so);
    if (auto s = system_->StartAll(); !s.ok()) return Fail(absl::StrCat("start: ", s.ToString()));
    for (int step = 1; step <= options_.steps && checker_.violations().empty(); ++step) {
      result_.steps = step;
      std::snprintf(g_where, sizeof g_where, "seed %llu step %d (%s)\n",
                    static_cast<unsigned long long>(options_.seed), step, WiringName(result_.wiring));
      const absl::Time t0 = absl::Now();
      Step(step);
      checker_.AfterStep(*system_, step);
      if (options_.verbose) {
        std::fprintf(stderr, "step %d: %.1f ms\n", step, absl::ToDoubleMilliseconds(absl::Now() - t0));
      }
    }
    const absl::Time q0 = absl::Now();
    if (checker_.violations().empty()) Quiesce(options_.steps + 1);
    if (options_.verbose) {
      std::fprintf(stderr, "quiescence: %.1f ms\n", absl::ToDoubleMilliseconds(absl::Now() - q0));
    }
    result_.violations = checker_.violations();
    result_.simulated = clock_.Now() - start_;
    result_.commands = world_.acknowledged + world_.refused + world_.in_doubt;
    system_.reset();
    kafka_.reset();
    std::filesystem::remove_all(dir_);
    result_.wall = absl::Now() - wall;
    return result_;
  }

 private:
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(random_); }
  const std::string& AnyService() { return Services()[Int(0, 3)]; }
  void Fired(const std::string& what) {
    ++result_.fired[what];
    if (options_.verbose) std::fprintf(stderr, "  %s\n", what.c_str());
  }

  Wiring DrawWiring() {
    const int w = Int(0, 9);
    return w < 6 ? Wiring::kRemissd : (w < 8 ? Wiring::kRemissdKafka : Wiring::kKafka);
  }

  RunResult Fail(const std::string& why) {
    checker_.Violation(absl::StrCat("setup: ", why));
    result_.violations = checker_.violations();
    return result_;
  }

  // ---- the steps --------------------------------------------------------------------------

  void Step(int step) {
    RestartPoisoned();
    const int pick = Int(0, 99);
    if (!options_.faults) return pick < 75 ? Commands(step) : MoveClock();
    if (pick < 55) return Commands(step);
    if (pick < 75) return MoveClock();
    switch (Int(0, result_.wiring == Wiring::kRemissd ? 6 : 9)) {
      case 0:
        return Chance(0.5) ? FailSync() : FailSyncUnderLoad(step);
      case 1:
        return SlowSync();
      case 2:
        return Crash();
      case 3:
        return HandlerFault();
      case 4:
        return StopDuringRebuild();
      case 5:
        return Restart();
      case 6:
        return Commands(step);
      case 7:
      case 8:
        return Broker();
      default:
        return LoseStore(step);
    }
  }

  void Commands(int step) {
    const int n = Int(1, 6);
    std::vector<Command> batch;
    for (int i = 0; i < n; ++i) {
      const int kind = Int(0, 99);
      auto doubted = world_.InDoubt();
      if (kind < 10 && !doubted.empty()) {
        batch.push_back(doubted[Int(0, static_cast<int>(doubted.size()) - 1)]->command);
        Fired("retry in doubt");
      } else if (kind < 16 && !world_.ledger().empty()) {
        auto it = world_.ledger().begin();
        std::advance(it, Int(0, static_cast<int>(world_.ledger().size()) - 1));
        const bool other = Chance(0.4);
        batch.push_back(world_.Again(it->second.command, other, step));
        Fired(other ? "same id, other content" : "same id again");
      } else {
        batch.push_back(world_.Next(clock_.Now(), step));
      }
    }
    struct Answer {
      grpc::Status status;
      remiss::v1::CommandResult result;
      bool sent = false;
    };
    std::vector<Answer> answers(batch.size());
    std::vector<std::thread> threads;
    const absl::Time at = clock_.Now();
    for (size_t i = 0; i < batch.size(); ++i) {
      auto channel = system_->channel(batch[i].service);
      if (!channel) continue;  // down: the client waits for it
      threads.emplace_back([&, i, channel] {
        answers[i].status = batch[i].send(*channel, &answers[i].result);
        answers[i].sent = true;
      });
    }
    for (auto& t : threads) t.join();
    // The batch was sent at once: a service ordered its commands by its queue, not by the
    // batch. The model takes the acknowledged ones in the order of their positions (a later
    // SetDeadline wins), after the others.
    std::vector<size_t> order(batch.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto key = [&](size_t i) {
      const bool ok = answers[i].status.ok();
      return std::make_tuple(ok, ok ? batch[i].service : std::string(),
                             ok ? answers[i].result.last_position() : 0);
    };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
    for (size_t i : order) {
      if (!answers[i].sent) continue;
      const grpc::Status& s = answers[i].status;
      world_.Answer(batch[i], s.error_code(), s.error_message(), answers[i].result, at, step);
      if (options_.verbose) {
        std::fprintf(stderr, "  %s %s %s: %d %s%s\n", batch[i].service.c_str(), batch[i].rpc.c_str(),
                     batch[i].command_id.c_str(), s.error_code(), s.error_message().c_str(),
                     s.ok() ? absl::StrCat(answers[i].result.id(), " at ", answers[i].result.first_position(), "..",
                                           answers[i].result.last_position(),
                                           answers[i].result.repeated() ? " (repeated)" : "")
                                  .c_str()
                            : "");
      }
    }
  }

  void MoveClock() {
    const int kind = Int(0, 9);
    absl::Duration d = kind < 4 ? absl::Minutes(Int(1, 180))
                                : (kind < 7 ? absl::Hours(Int(2, 24)) : absl::Hours(24 * Int(1, 6)));
    clock_.Advance(d);
    Fired("clock moved");
  }

  void FailSync() {
    const std::string& s = AnyService();
    system_->disk(s).FailSyncs(Int(1, 2));
    Fired(absl::StrCat("failed fsync (", s, ")"));
  }

  // A failed fsync of a consumer while commands and the feeds they wake are under way: its
  // syncs slowed so that groups wait together (a command's events and a feed's progress in one
  // sync), and one of the next few fails.
  void FailSyncUnderLoad(int step) {
    static const std::vector<std::string> kConsumers = {"responses", "deadlines", "followup"};
    const std::string& s = kConsumers[Int(0, 2)];
    system_->disk(s).SlowSyncs(absl::Milliseconds(Int(2, 10)));
    system_->disk(s).FailSyncs(Int(1, 2), Int(0, 3));
    Fired(absl::StrCat("failed fsync under load (", s, ")"));
    Commands(step);
    system_->disk(s).SlowSyncs(absl::ZeroDuration());
  }

  void SlowSync() {
    const std::string& s = AnyService();
    system_->disk(s).SlowSyncs(absl::Milliseconds(Int(1, 40)));
    slow_.push_back(s);
    Fired("slow fsync");
  }

  void HealSlow() {
    for (const std::string& s : slow_) system_->disk(s).SlowSyncs(absl::ZeroDuration());
    slow_.clear();
  }

  void Reopened(const std::string& service) {
    for (const std::string& s : system_->ProcessOf(service)) checker_.Reopened(s);
  }

  bool StartAgain(const std::string& service, bool restore = false) {
    absl::Status s = system_->Start(service, restore);
    if (!s.ok() && kafka_ && down_broker_ > 0 && s.code() == absl::StatusCode::kUnavailable &&
        absl::StrContains(s.message(), "could not be read")) {
      // An empty store never checked against its topic waits for the broker (PrepareStore):
      // the operator brings Kafka back, and then it must start.
      (void)kafka_->BrokerUp(down_broker_);
      down_broker_ = 0;
      kafka_->ClearErrors();
      Fired("broker up for an empty store's start");
      s = system_->Start(service, restore);
    }
    // A start that met one of the disk's injected faults (a failed fsync still due) refuses
    // to serve, as it must; the operator starts it again.
    for (int again = 0; again < 3 && !s.ok() && absl::StrContains(s.message(), "simulated:"); ++again) {
      Fired("start met a disk fault, started again");
      s = system_->Start(service, restore);
    }
    if (!s.ok()) {
      checker_.Violation(absl::StrCat("I7 ", service, " does not start again: ", s.ToString()));
      return false;
    }
    Reopened(service);
    return true;
  }

  void Crash() {
    const std::string& s = AnyService();
    if (!system_->running(s)) return;
    const bool keep_part = Chance(0.5);
    system_->Crash(s, random_(), keep_part);
    Fired(keep_part ? "crash (the disk kept part of the unsynced)" : "crash (unsynced lost)");
    StartAgain(s);
  }

  void Restart() {
    const std::string& s = AnyService();
    system_->Stop(s);
    Fired("restart");
    StartAgain(s);
  }

  // The operator restarts a poisoned service (reopening reads what the disk kept).
  void RestartPoisoned() {
    if (Chance(0.3)) HealSlow();
    for (const std::string& s : Services()) {
      core::EventStore* store = system_->store(s);
      if (store == nullptr || store->Poisoned().ok() || Chance(0.3)) continue;
      system_->Stop(s);
      if (system_->disk(s).SyncFailed() && Chance(0.5)) {
        // The pages a failed fsync could not write are dropped (Linux): the restart reads the
        // logs as a crash would have left them.
        system_->disk(s).LoseUnsynced(random_(), Chance(0.5));
        Fired("restart after poisoning, the failed sync's writes lost");
      } else {
        Fired("restart after poisoning");
      }
      StartAgain(s);
    }
  }

  void HandlerFault() {
    static const std::vector<std::string> kConsumers = {"responses", "deadlines", "followup"};
    const std::string& s = kConsumers[Int(0, 2)];
    system_->handler_faults(s).fail_next += Int(1, 5);
    Fired("transient handler error");
  }

  void StopDuringRebuild() {
    const std::string& s = AnyService();
    core::EventStore* store = system_->store(s);
    if (store == nullptr) return;
    // Appends slowed so that the rebuild's fold (a write a chunk) outlasts the pause below
    // and the teardown of the services before this one (followers first).
    if (options_.slow_folds) system_->disk(s).SlowAppends(absl::Microseconds(Int(1000, 5000)));
    if (!store->StartRebuild().ok()) return system_->disk(s).SlowAppends(absl::ZeroDuration());
    absl::SleepFor(absl::Microseconds(Int(0, 3000)));
    if (Chance(0.5)) {
      system_->Stop(s);
      Fired("shutdown during a rebuild");
    } else {
      system_->Crash(s, random_(), Chance(0.5));
      Fired("crash during a rebuild");
    }
    system_->disk(s).SlowAppends(absl::ZeroDuration());
    StartAgain(s);
  }

  void Broker() {
    if (!kafka_) return;
    const int kind = Int(0, 5);
    if (kind == 0) {
      kafka_->FailRequests(0, Int(1, 20), RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
      Fired("produce errors");
    } else if (kind == 1) {
      kafka_->FailRequests(1, Int(1, 20), RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
      Fired("fetch errors");
    } else if (kind == 2) {
      kafka_->FailRequests(0, Int(1, 5), RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
      Fired("produce timeouts");
    } else if (kind == 3) {
      const std::string& s = AnyService();
      (void)kafka_->MoveLeader(absl::StrCat("remiss.", s, ".events.v1"), 0, Int(1, 3));
      Fired("leader moved");
    } else {
      if (down_broker_ > 0) {
        (void)kafka_->BrokerUp(down_broker_);
        down_broker_ = 0;
        Fired("broker up");
      } else {
        down_broker_ = Int(1, 3);
        (void)kafka_->BrokerDown(down_broker_);
        Fired("broker down");
      }
    }
  }

  // A store's disk is lost for good and it is restored from its topic, sometimes cut short
  // (a crash in the middle of the import) and restored again.
  void LoseStore(int step) {
    if (!kafka_) return;
    const std::string& s = AnyService();
    core::EventStore* store = system_->store(s);
    if (store == nullptr) return;
    if (down_broker_ > 0) {
      (void)kafka_->BrokerUp(down_broker_);
      down_broker_ = 0;
    }
    kafka_->ClearErrors();
    // The relay catches up first (waited for, within a bound), or not: what it has not
    // published when the process stops is lost with the disk.
    if (Chance(0.7)) {
      const absl::Time until = absl::Now() + absl::Seconds(20);
      while (TopicHead(s) < store->LastPosition() && absl::Now() < until) {
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
    // Consumers in the same process (LocalFeed) read the store itself, past what the relay
    // published: those whose cursors are past what the topic keeps must park ahead of the
    // restored store. Their cursors are read once they have stopped moving (the services go
    // quiet without commands), just before the stop.
    const std::map<std::string, uint64_t> cursors = QuietCursorsOf(s);
    const uint64_t head = store->LastPosition();
    system_->Stop(s);
    // What the topic kept, read once nothing publishes to it any more (the relay may go on
    // publishing until its process stops, so a count taken before the stop is too low).
    const uint64_t kept = TopicHead(s);
    if (TopicHighest(s) > kept) {
      // A partition behind the others (its leader was down): the topic holds positions past
      // a gap. No restore can take such a topic yet (it refuses the gap, DATA_LOSS), so the
      // disk is not lost here: the service starts again on it and its relay fills the gap.
      Fired("store kept: its topic has a gap");
      StartAgain(s);
      return;
    }
    system_->LoseStore(s);
    Fired(kept < head ? "store lost (relay behind)" : "store lost");
    if (Chance(0.4)) {
      // Cut short: a crash in the middle of the import, then a start without a restore.
      system_->disk(s).DieAfterWrites(Int(1, 6));
      absl::Status first = system_->Start(s, /*restore=*/true);
      system_->disk(s).LoseUnsynced(random_(), Chance(0.5));
      if (first.ok()) {
        system_->Crash(s, random_(), true);
      }
      Fired("restore cut short");
      absl::Status plain = system_->Start(s, /*restore=*/false);
      if (plain.ok()) {
        core::EventStore* again = system_->store(s);
        if (again != nullptr && again->LastPosition() < kept) {
          checker_.Violation(absl::StrCat("a store whose restore was cut short serves: ", s,
                                          " holds ", again->LastPosition(), " of the topic's ", kept));
        }
        system_->Stop(s);
      }
    }
    if (!StartAgain(s, /*restore=*/true)) return;
    core::EventStore* restored = system_->store(s);
    if (restored != nullptr && restored->RestoredThrough() != kept) {
      checker_.Violation(absl::StrCat("I1 ", s, "'s restore ended at position ",
                                      restored->RestoredThrough().value_or(0), ", not at the ",
                                      kept, " its topic kept"));
    }
    checker_.Restored(s, kept, step);
    for (const auto& [c, position] : cursors) {
      if (position > kept) {
        checker_.ExpectParkedAhead(c);
        ahead_.insert({c, s});
      }
    }
  }

  // The cursors on `source` of the services in its process (remissd+kafka), once they have
  // stayed the same for a moment (within a bound): consumer -> position applied.
  std::map<std::string, uint64_t> QuietCursorsOf(const std::string& source) {
    std::map<std::string, uint64_t> cursors;
    if (result_.wiring != Wiring::kRemissdKafka) return cursors;
    auto read = [&] {
      std::map<std::string, uint64_t> now;
      for (const std::string& c : Services()) {
        core::EventStore* cs = system_->store(c);
        if (cs == nullptr || c == source) continue;
        for (const auto& [src, partition, cursor] : cs->FeedCursors()) {
          if (src == source) now[c] = cursor.position;
        }
      }
      return now;
    };
    const absl::Time until = absl::Now() + absl::Seconds(5);
    cursors = read();
    for (int same = 0; same < 3 && absl::Now() < until;) {
      absl::SleepFor(absl::Milliseconds(20));
      std::map<std::string, uint64_t> now = read();
      same = now == cursors ? same + 1 : 0;
      cursors = std::move(now);
    }
    return cursors;
  }

  // The highest position the service's topic holds (0: none).
  uint64_t TopicHighest(const std::string& service) {
    auto messages = kafka_->ReadTopic(absl::StrCat("remiss.", service, ".events.v1"));
    uint64_t highest = 0;
    if (!messages.ok()) return highest;
    for (const auto& m : *messages) {
      remiss::v1::EventEnvelope e;
      if (e.ParseFromString(m.value)) highest = std::max<uint64_t>(highest, e.position());
    }
    return highest;
  }

  uint64_t TopicHead(const std::string& service) {
    auto messages = kafka_->ReadTopic(absl::StrCat("remiss.", service, ".events.v1"));
    if (!messages.ok()) return 0;
    std::set<uint64_t> positions;
    for (const auto& m : *messages) {
      remiss::v1::EventEnvelope e;
      if (e.ParseFromString(m.value)) positions.insert(e.position());
    }
    uint64_t head = 0;
    while (positions.count(head + 1)) ++head;
    return head;
  }

  // ---- quiescence ---------------------------------------------------------------------------

  // The faults stop; every service must be serving and caught up within a bound (I7); then
  // I1-I6 at rest.
  void Quiesce(int step) {
    HealSlow();
    for (const std::string& s : Services()) {
      system_->disk(s).Heal();
      system_->handler_faults(s).fail_next = 0;
    }
    if (kafka_) {
      if (down_broker_ > 0) (void)kafka_->BrokerUp(down_broker_);
      down_broker_ = 0;
      kafka_->ClearErrors();
    }
    // A sync that failed as the faults stopped poisons its store a moment after it returns.
    absl::SleepFor(absl::Milliseconds(50));
    for (const std::string& s : Services()) {
      core::EventStore* store = system_->store(s);
      if (store != nullptr && !store->Poisoned().ok()) system_->Stop(s);
      if (!system_->running(s) && !StartAgain(s)) return;
    }
    checker_.AfterStep(*system_, step);
    // Now and then past every deadline, so that every real breach must be declared.
    if (Chance(0.5)) {
      clock_.Advance(absl::Hours(24 * 60));
      Fired("clock past every deadline");
    }
    std::string why;
    const absl::Time limit = absl::Now() + absl::Seconds(90);
    // Over Kafka, deadlines fires a timer only once its feeds' watermark has passed it: the
    // relays publish their watermarks once a second, and a watermark reader whose broker was
    // down reconnects after up to librdkafka's reconnect.backoff.max.ms (10 s). The positions
    // must stay the same for longer than that before every breach due is declared.
    const int needed = result_.wiring == Wiring::kKafka ? 80 : 3;
    int calm = 0;
    std::string last;
    while (absl::Now() < limit) {
      std::string now = Snapshot(&why);
      calm = (!now.empty() && now == last) ? calm + 1 : 0;
      last = now;
      if (calm >= needed) break;
      absl::SleepFor(absl::Milliseconds(150));
    }
    if (calm < needed) {
      checker_.Violation(absl::StrCat("I7 not serving and caught up within 90 s after the faults "
                                      "stopped: ", why));
      return;
    }
    checker_.AfterStep(*system_, step);
    CheckParkedAhead();
    if (kafka_) {
      for (const std::string& s : Services()) {
        auto messages = kafka_->ReadTopic(absl::StrCat("remiss.", s, ".events.v1"));
        if (!messages.ok()) {
          checker_.Violation(absl::StrCat("reading the topic of ", s, ": ", messages.status().ToString()));
          continue;
        }
        std::vector<std::string> values;
        for (auto& m : *messages) values.push_back(std::move(m.value));
        checker_.CheckTopic(s, values, system_->store(s)->LastPosition());
      }
    }
    checker_.AtQuiescence(*system_, clock_.Now());
  }

  // Every service serving (or, where the run expects it, parked ahead of a restored source),
  // every consumer caught up, every relay done: a fingerprint of the positions, or empty
  // while not there yet (`why` says what is missing).
  std::string Snapshot(std::string* why) {
    const remiss::v1::Positions all = Positions();
    for (const std::string& s : Services()) {
      auto channel = system_->channel(s);
      const remiss::v1::ServicePositions* positions = Find(all, s);
      if (!channel || positions == nullptr) {
        *why = absl::StrCat(s, " is down or does not answer");
        return "";
      }
      bool parked_ahead = false;
      for (const auto& f : positions->feeds()) {
        if (!f.has_parked()) continue;
        if (f.parked().ahead() && !ahead_.empty()) {
          parked_ahead = true;
          continue;
        }
        *why = absl::StrCat(s, " parked ", f.parked().ShortDebugString());
        return "";
      }
      if (!positions->relay_error().empty() || positions->relay_lag() > 0) {
        *why = absl::StrCat(s, " relay lag ", positions->relay_lag(), " ", positions->relay_error());
        return "";
      }
      const int health = testing::HealthStatus(*channel, GrpcServices().at(s));
      if (health != 1 && !parked_ahead) {
        *why = absl::StrCat(s, " health ", health);
        return "";
      }
    }
    std::string caught;
    if (!faults::FollowersCaughtUp(all, &caught) && ahead_.empty()) {
      *why = caught;
      return "";
    }
    // Deadlines fires what came due (the clock may just have passed every deadline) on a
    // timer of its own, once its feeds' watermark has passed it: the positions are not at
    // rest before that, however long they stood still (a loaded machine delays it). In
    // remissd (LocalFeeds) the watermark reaches the clock's instant once all is idle; over
    // Kafka it comes with the relays' watermarks, which the calm above waits out.
    if (ahead_.empty() && result_.wiring != Wiring::kKafka) {
      const std::optional<absl::Time> fired = system_->DeadlinesFiredThrough();
      if (!fired || *fired < clock_.Now()) {
        *why = absl::StrCat("deadlines has fired its timers through ",
                            fired ? absl::FormatTime(*fired) : "nothing", ", not through now (",
                            absl::FormatTime(clock_.Now()), ")");
        return "";
      }
    }
    return all.ShortDebugString();
  }

  // A consumer that had taken more of a source than the source kept through its restore
  // must have parked ahead of it, not skipped the source's new events as repeats.
  void CheckParkedAhead() {
    const remiss::v1::Positions all = Positions();
    for (const auto& [consumer, source] : ahead_) {
      const remiss::v1::ServicePositions* positions = Find(all, consumer);
      if (positions == nullptr) continue;
      bool parked = false;
      for (const auto& f : positions->feeds()) {
        parked = parked || (f.source() == source && f.has_parked() && f.parked().ahead());
      }
      if (!parked) {
        checker_.Violation(absl::StrCat("I1 ", consumer, " had taken more of ", source,
                                        " than its restore kept, and did not park ahead of it: "
                                        "it takes ", source, "'s new events for repeats"));
      }
    }
  }

  static const remiss::v1::ServicePositions* Find(const remiss::v1::Positions& all,
                                                  const std::string& service) {
    for (const auto& sp : all.services()) {
      if (sp.service() == service) return &sp;
    }
    return nullptr;
  }

  // Every running service's positions, each process asked once.
  remiss::v1::Positions Positions() {
    remiss::v1::Positions all;
    std::set<std::string> asked;
    for (const std::string& s : Services()) {
      auto channel = system_->channel(s);
      if (!channel || asked.count(s)) continue;
      auto p = faults::GetPositions(*channel);
      if (!p.ok()) continue;
      for (const auto& sp : p->services()) {
        if (asked.insert(sp.service()).second) *all.add_services() = sp;
      }
    }
    return all;
  }

  RunOptions options_;
  std::mt19937_64 random_;
  core::ManualClock clock_;
  absl::Time start_;
  World world_;
  Checker checker_;
  RunResult result_;
  std::string dir_;
  std::unique_ptr<MockKafka> kafka_;
  std::unique_ptr<System> system_;
  std::vector<std::string> slow_;
  int down_broker_ = 0;
  std::set<std::pair<std::string, std::string>> ahead_;  // (consumer, restored source)
};

}  // namespace

RunResult RunSeed(const RunOptions& options) { return Run(options).Go(); }

}  // namespace remiss::sim
