// What the Kafka tests of relays and feeds share: stores on the system clock (unsynced: the
// tests are of behaviour, not durability), referral ids that spread over partitions, events
// appended over them, a poll until something holds, and the shared test broker.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/store/event_store.h"
#include "tests/integration/kafka_broker.h"

namespace remiss::testing {

inline core::SystemClock* TheClock() {
  static core::SystemClock clock;
  return &clock;
}

inline std::unique_ptr<core::EventStore> OpenStore(const std::string& path, const std::string& source) {
  core::EventStoreOptions options;
  options.path = path;
  options.source = source;
  options.clock = TheClock();
  options.sync = false;  // a test of behaviour, not of durability
  auto store = core::EventStore::Open(std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

inline std::string ReferralId(int n) { return absl::StrCat("ks-2024-", 100 + n); }

// Appends events `from` .. `to`-1 (a ReferralDrafted each, one command each), round robin
// over `streams` referrals: their keys spread over the topic's partitions.
inline void AppendDrafted(core::EventStore& store, int from, int to, int streams) {
  for (int i = from; i < to; ++i) {
    const int n = i % streams;
    core::CommandMeta meta;
    meta.command_id = absl::StrCat("cmd-", store.source(), "-", i);
    meta.actor.set_org_id("ks");
    absl::Status s = store
                         .Execute(meta,
                                  [&](core::Tx& tx) -> absl::Status {
                                    remiss::v1::EventEnvelope e;
                                    e.set_partition_key(ReferralId(n));
                                    auto* drafted = e.mutable_referrals()->mutable_referral_drafted();
                                    drafted->set_referral_id(ReferralId(n));
                                    drafted->set_title(absl::StrCat("event ", i));
                                    std::vector<remiss::v1::EventEnvelope> events;
                                    events.push_back(std::move(e));
                                    return tx.Append(absl::StrCat("referral/", ReferralId(n)),
                                                     std::nullopt, std::move(events));
                                  })
                         .status();
    ASSERT_TRUE(s.ok()) << "append " << i << ": " << s;
  }
}

// Polls `done` every `every` until it holds or `timeout` passes; whether it holds.
inline bool WaitFor(const std::function<bool()>& done, absl::Duration timeout,
                    absl::Duration every = absl::Milliseconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(every);
  }
  return true;
}

inline KafkaBroker* SharedBroker() {
  std::string error;
  KafkaBroker* broker = KafkaBroker::Shared(&error);
  EXPECT_NE(broker, nullptr) << "the test broker did not start: " << error;
  return broker;
}

}  // namespace remiss::testing
