// How many timers per second the deadlines service fires with 100,000 open deadlines, and
// how much memory it holds meanwhile. Deadlines are scheduled through the same consumer the
// service runs (FollowResponses over RoundTermsRecorded), then the clock jumps past the
// reminders and the due instants and the scheduler fires every timer. Figures, printed.
// Run: build/tools/remiss-bench-deadlines [deadlines, default 100000]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/deadlines/projector.h"
#include "remiss/deadlines/reactions.h"
#include "remiss/deadlines/scheduler.h"

namespace {

using namespace remiss;

// A responses feed known to be complete: every due timer may fire.
class CompleteFeed final : public core::Feed {
 public:
  absl::Status Start(CursorLookup, Handler) override { return absl::OkStatus(); }
  void Stop() override {}
  absl::Status status() const override { return absl::OkStatus(); }
  absl::Time Watermark() const override { return absl::InfiniteFuture(); }
};

long RssKiB(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return -1;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  int total = 100000;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &total)) {
    std::fprintf(stderr, "usage: %s [deadlines]\n", argv[0]);
    return 2;
  }
  constexpr int kPerRound = 100;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("remiss-bench-deadlines-", ::getpid());
  std::filesystem::remove_all(dir);
  absl::TimeZone stockholm;
  absl::LoadTimeZone("Europe/Stockholm", &stockholm);
  core::ManualClock clock(absl::FromCivil(absl::CivilHour(2021, 1, 11, 9), stockholm));
  deadlines::DeadlinesProjector projector;
  auto store = core::EventStore::Open(
      {.path = dir.string(), .source = "deadlines", .clock = &clock, .projector = &projector});
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  core::FeedConsumer consumer(store->get(), &deadlines::FollowResponses);
  const long rss_start = RssKiB("VmRSS:");

  // Schedule: one RoundTermsRecorded per round of 100 addressees.
  auto t0 = std::chrono::steady_clock::now();
  long rss_at_tenth = 0, rss_at_half = 0;
  for (int round = 0; round * kPerRound < total; ++round) {
    core::FeedEvent fed;
    fed.source = "responses";
    fed.offset = round;
    fed.envelope.set_position(round + 1);
    fed.envelope.set_partition_key(absl::StrCat("ks-2021-", round + 1));
    fed.envelope.set_event_id(absl::StrCat("responses-", round + 1));
    auto* terms = fed.envelope.mutable_responses()->mutable_round_terms_recorded();
    terms->set_referral_id(fed.envelope.partition_key());
    terms->set_case_number(absl::StrCat("KS 2021/", round + 1));
    terms->set_deadline("2021-02-26");
    terms->set_state(remiss::v1::ROUND_STATE_OPEN);
    for (int i = 0; i < kPerRound && round * kPerRound + i < total; ++i) {
      auto* a = terms->add_addressees();
      a->set_org_id(absl::StrCat("board-", i));
      a->set_stated_deadline("2021-02-26");
      a->set_answer(remiss::v1::ANSWER_KIND_REQUIRED);
    }
    if (absl::Status s = consumer.Consume({fed}); !s.ok()) {
      std::fprintf(stderr, "scheduling: %s\n", s.ToString().c_str());
      return 1;
    }
    if ((round + 1) * kPerRound == total / 10) rss_at_tenth = RssKiB("VmRSS:");
    if ((round + 1) * kPerRound == total / 2) rss_at_half = RssKiB("VmRSS:");
  }
  const double schedule_s = Seconds(t0);
  const long rss_scheduled = RssKiB("VmRSS:");

  // Every deadline has 3 reminders and a due timer: jump past them all and fire.
  CompleteFeed feed;
  deadlines::Scheduler scheduler(store->get(), &feed);
  clock.Set(absl::FromCivil(absl::CivilHour(2021, 3, 1, 9), stockholm));
  auto t1 = std::chrono::steady_clock::now();
  auto fired = scheduler.FireAllDue();
  const double fire_s = Seconds(t1);
  if (!fired.ok()) {
    std::fprintf(stderr, "firing: %s\n", fired.status().ToString().c_str());
    return 1;
  }
  std::printf("deadlines scheduled:      %d in %.1f s (%.0f deadlines/s)\n", total, schedule_s,
              total / schedule_s);
  std::printf("timers fired:             %zu in %.1f s (%.0f timers/s)\n", *fired, fire_s,
              *fired / fire_s);
  std::printf("events in the log:        %llu\n",
              static_cast<unsigned long long>((*store)->LastPosition()));
  std::printf("RSS at start:             %ld KiB\n", rss_start);
  std::printf("RSS after %d deadlines: %ld KiB\n", total / 10, rss_at_tenth);
  std::printf("RSS after %d deadlines: %ld KiB\n", total / 2, rss_at_half);
  std::printf("RSS after %d deadlines: %ld KiB\n", total, rss_scheduled);
  std::printf("RSS after firing:         %ld KiB (peak %ld KiB)\n", RssKiB("VmRSS:"), RssKiB("VmHWM:"));
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
