#include "tests/simulation/system.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/deadlines/module.h"
#include "remiss/followup/module.h"
#include "remiss/referrals/module.h"
#include "remiss/responses/module.h"

namespace remiss::sim {

const std::vector<std::string>& Services() {
  static const std::vector<std::string> kServices = {"referrals", "responses", "deadlines",
                                                     "followup"};
  return kServices;
}

const std::vector<std::string>& SourcesOf(const std::string& service) {
  static const std::map<std::string, std::vector<std::string>> kSources = {
      {"referrals", {}},
      {"responses", {"referrals"}},
      {"deadlines", {"responses"}},
      {"followup", {"referrals", "responses", "deadlines"}}};
  return kSources.at(service);
}

System::System(SystemOptions options) : options_(std::move(options)) {
  for (const std::string& s : Services()) {
    disks_[s] = std::make_unique<SimDisk>();
    handler_faults_[s] = std::make_shared<HandlerFaults>();
  }
}

System::~System() { StopAll(); }

std::string System::ProcessName(const std::string& service) const {
  return options_.wiring == Wiring::kKafka ? service : "remissd";
}

std::vector<std::string> System::ProcessOf(const std::string& service) const {
  if (options_.wiring != Wiring::kKafka) return Services();
  return {service};
}

std::string System::DataDir(const std::string& service) const {
  return absl::StrCat(options_.dir, "/", service);
}

bool System::running(const std::string& service) const {
  return processes_.count(ProcessName(service)) > 0;
}

core::EventStore* System::store(const std::string& service) const {
  auto p = processes_.find(ProcessName(service));
  if (p == processes_.end()) return nullptr;
  auto s = p->second->stores.find(service);
  return s == p->second->stores.end() ? nullptr : s->second;
}

std::optional<absl::Time> System::DeadlinesFiredThrough() const {
  auto p = processes_.find(ProcessName("deadlines"));
  if (p == processes_.end() || p->second->scheduler == nullptr) return std::nullopt;
  return p->second->scheduler->FiredThrough();
}

std::shared_ptr<grpc::Channel> System::channel(const std::string& service) const {
  auto p = processes_.find(ProcessName(service));
  return p == processes_.end() ? nullptr : p->second->channel;
}

// What `consumer` reads its sources through, each behind a FlakyFeed: over Kafka one
// KafkaFeed of all of them (as the services' own processes run), in remissd a LocalFeed each.
absl::StatusOr<std::vector<std::unique_ptr<core::Feed>>> System::FeedsFor(
    const std::string& consumer, Process& process) {
  std::vector<std::unique_ptr<core::Feed>> feeds;
  auto flaky = [&](std::unique_ptr<core::Feed> feed) {
    feeds.push_back(std::make_unique<FlakyFeed>(std::move(feed), handler_faults_.at(consumer)));
  };
  const std::vector<std::string>& sources = SourcesOf(consumer);
  if (sources.empty()) return feeds;
  if (options_.wiring == Wiring::kKafka) {
    auto feed = core::MakeKafkaFeed({.brokers = options_.brokers,
                                     .group_id = absl::StrCat("remiss-", consumer),
                                     .sources = sources,
                                     .instance_id = absl::StrCat(consumer, "-0"),
                                     // The mock cluster knows no static membership: a restarted
                                     // consumer waits for the one before it to time out, and
                                     // each rebalance for up to this long.
                                     .session_timeout = absl::Seconds(6)});
    if (!feed.ok()) return feed.status();
    flaky(std::move(*feed));
  } else {
    for (const std::string& source : sources) {
      flaky(std::make_unique<core::LocalFeed>(process.stores.at(source)));
    }
  }
  return feeds;
}

absl::Status System::Start(const std::string& service, bool restore) {
  const std::string name = ProcessName(service);
  if (processes_.count(name)) return absl::OkStatus();
  auto process = std::make_unique<Process>();
  process->services = ProcessOf(service);
  process->host = std::make_unique<core::ServiceHost>("127.0.0.1:0", 4 << 20, nullptr,
                                                      options_.clock);
  auto fail = [&](absl::Status s, const std::string& which) {
    TearDown(*process);
    return absl::Status(s.code(), absl::StrCat("starting ", which, ": ", s.message()));
  };
  for (const std::string& s : process->services) {
    core::ModuleSettings settings;
    settings.data_dir = options_.dir;
    settings.clock = options_.clock;
    settings.kafka_brokers = options_.brokers;
    settings.kafka_topics = options_.topics;
    settings.env = disks_.at(s)->env();
    settings.restore_from_kafka = restore;
    settings.topic_check_budget = absl::Seconds(20);
    settings.rebuild_chunk_events = options_.rebuild_chunk_events;
    auto feeds = FeedsFor(s, *process);
    if (!feeds.ok()) return fail(feeds.status(), s);
    // Hosts an opened module and keeps it (and its store) in the process.
    auto keep = [&](auto opened) -> absl::Status {
      if (!opened.ok()) return opened.status();
      (*opened)->Host(*process->host);
      process->stores[s] = &(*opened)->store();
      process->modules.push_back(std::move(*opened));
      return absl::OkStatus();
    };
    absl::Status opened;
    if (s == "referrals") {
      opened = keep(referrals::ReferralsModule::Open(settings));
    } else if (s == "responses") {
      opened = keep(responses::ResponsesModule::Open(settings, std::move(feeds->front())));
    } else if (s == "deadlines") {
      auto module = deadlines::DeadlinesModule::Open(settings, std::move(feeds->front()));
      if (module.ok()) process->scheduler = &(*module)->scheduler();
      opened = keep(std::move(module));
    } else {
      opened = keep(followup::FollowupModule::Open(settings, std::move(*feeds)));
    }
    if (!opened.ok()) return fail(opened, s);
  }
  if (absl::Status s = process->host->Start(); !s.ok()) return fail(s, "the host");
  process->channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", process->host->port()),
                                         grpc::InsecureChannelCredentials());
  processes_[name] = std::move(process);
  return absl::OkStatus();
}

absl::Status System::StartAll() {
  for (const std::string& s : Services()) {
    if (absl::Status st = Start(s); !st.ok()) return st;
  }
  return absl::OkStatus();
}

void System::TearDown(Process& process) {
  if (process.host) process.host->Shutdown(absl::Milliseconds(200));
  process.host.reset();
  // Followers first: their local feeds read the stores of the services before them.
  while (!process.modules.empty()) process.modules.pop_back();
  process.stores.clear();
  process.scheduler = nullptr;
}

void System::Crash(const std::string& service, uint64_t random, bool keep_part) {
  auto p = processes_.find(ProcessName(service));
  if (p == processes_.end()) return;
  for (const std::string& s : p->second->services) disks_.at(s)->Die();
  TearDown(*p->second);
  for (const std::string& s : p->second->services) disks_.at(s)->LoseUnsynced(random++, keep_part);
  processes_.erase(p);
}

void System::Stop(const std::string& service) {
  auto p = processes_.find(ProcessName(service));
  if (p == processes_.end()) return;
  TearDown(*p->second);
  processes_.erase(p);
}

void System::StopAll() {
  for (auto it = Services().rbegin(); it != Services().rend(); ++it) Stop(*it);
}

void System::LoseStore(const std::string& service) {
  Stop(service);
  std::error_code ec;
  std::filesystem::remove_all(DataDir(service), ec);
}

}  // namespace remiss::sim
