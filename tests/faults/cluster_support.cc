#include "tests/faults/cluster_support.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "tests/integration/kafka_broker.h"

namespace remiss::faults {

using namespace remiss::v1;  // NOLINT: the API's messages, throughout

const std::vector<std::string>& ServiceNames() {
  static const std::vector<std::string> kNames = {"referrals", "responses", "deadlines",
                                                  "followup"};
  return kNames;
}

const std::vector<std::pair<std::string, std::string>>& Follows() {
  static const std::vector<std::pair<std::string, std::string>> kFollows = {
      {"responses", "referrals"}, {"deadlines", "responses"}, {"followup", "referrals"},
      {"followup", "responses"},  {"followup", "deadlines"}};
  return kFollows;
}

namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

Caller Operator() { return {.org = "ks", .role = "operator", .person = "operator-1"}; }

std::string BinaryOf(const std::string& process) {
  if (process == "remissd") return REMISSD;
  if (process == "referrals") return REMISS_REFERRALS;
  if (process == "responses") return REMISS_RESPONSES;
  if (process == "deadlines") return REMISS_DEADLINES;
  return REMISS_FOLLOWUP;
}

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace

Services::Services(Deployment deployment, std::string dir, std::string brokers, std::string start)
    : deployment_(deployment), dir_(std::move(dir)), brokers_(std::move(brokers)) {
  std::filesystem::create_directories(dir_);
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, start, &now_, &error)) now_ = absl::Now();
  if (deployment_ == Deployment::kRemissd) {
    order_ = {"remissd"};
    for (const std::string& s : ServiceNames()) process_of_[s] = "remissd";
  } else {
    order_ = ServiceNames();
    for (const std::string& s : ServiceNames()) process_of_[s] = s;
  }
  for (const std::string& p : order_) {
    std::vector<std::string> args = {"--data-dir", absl::StrCat(dir_, "/", p, "-data"),
                                     "--manual-clock", start};
    if (deployment_ == Deployment::kOverKafka) args.insert(args.end(), {"--kafka-brokers", brokers_});
    processes_[p] = std::make_unique<ServerProcess>(p, BinaryOf(p), std::move(args), dir_);
    endpoints_[p] = std::make_unique<faults::Endpoint>();
  }
}

Services::~Services() = default;

ServerProcess& Services::Process(const std::string& service) {
  return *processes_.at(process_of_.at(service));
}

faults::Endpoint& Services::endpoint(const std::string& service) {
  return *endpoints_.at(process_of_.at(service));
}

std::string Services::DataDir(const std::string& service) const {
  return absl::StrCat(dir_, "/", process_of_.at(service), "-data");
}

void Services::UseBinary(const std::string& service, const std::string& binary,
                         std::vector<std::string> env) {
  ServerProcess& old = Process(service);
  auto replacement = std::make_unique<ServerProcess>(old.name() + "-variant", binary, old.args(), dir_);
  replacement->set_env(std::move(env));
  processes_[process_of_.at(service)] = std::move(replacement);
}

absl::Status Services::StartAll() {
  for (const std::string& p : order_) {
    if (absl::Status s = Start(p == "remissd" ? "referrals" : p); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Services::Start(const std::string& service) {
  ServerProcess& process = Process(service);
  process.SetFlag("--manual-clock", Rfc3339(now_));
  auto address = process.Start();
  if (!address.ok()) return address.status();
  endpoint(service).Set(*address);
  return absl::OkStatus();
}

void Services::Kill(const std::string& service) {
  endpoint(service).Down();
  Process(service).Kill();
}

std::string Services::Stop(const std::string& service) {
  endpoint(service).Down();
  return Process(service).Stop();
}

std::string Services::StopAll() {
  std::string out;
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    const std::string service = *it == "remissd" ? "referrals" : *it;
    const std::string how = Stop(service);
    if (!how.empty()) absl::StrAppend(&out, *it, ": ", how, "\n");
  }
  return out;
}

absl::Status Services::SetClock(absl::Time to) {
  for (const std::string& p : order_) {
    auto channel = endpoints_[p]->Channel();
    if (channel == nullptr) continue;  // down: it starts at now_
    AdminService::Stub admin(channel);
    SetClockRequest request;
    request.mutable_to()->set_seconds(absl::ToUnixSeconds(to));
    ClockState state;
    auto ctx = Context(Operator());
    grpc::Status s = admin.SetClock(ctx.get(), request, &state);
    if (!s.ok()) return absl::InternalError(absl::StrCat(p, " SetClock: ", Describe(s)));
  }
  now_ = to;
  return absl::OkStatus();
}

absl::Status Services::Settle(absl::Duration limit, std::string* seen_out, absl::Duration quiet) {
  const absl::Time until = absl::Now() + limit;
  absl::Time stable_since = absl::Now();
  std::string previous, seen;
  while (absl::Now() < until) {
    std::map<std::string, ServicePositions> all;
    bool ok = true;
    seen.clear();
    for (const std::string& p : order_) {
      auto channel = endpoints_[p]->Channel();
      if (channel == nullptr) {
        ok = false;
        absl::StrAppend(&seen, p, " is down; ");
        continue;
      }
      auto positions = GetPositions(*channel);
      if (!positions.ok()) {
        ok = false;
        absl::StrAppend(&seen, p, ": ", positions.status().ToString(), "; ");
        continue;
      }
      for (const ServicePositions& sp : positions->services()) all[sp.service()] = sp;
    }
    if (ok && deployment_ == Deployment::kRemissd) {
      Positions p;
      for (const auto& [name, sp] : all) *p.add_services() = sp;
      std::string followers;
      ok = FollowersCaughtUp(p, &followers);
      absl::StrAppend(&seen, followers);
      for (const auto& [name, sp] : all) absl::StrAppend(&seen, name, "@", sp.log_position(), " ");
    } else if (ok) {
      for (const auto& [name, sp] : all) {
        absl::StrAppend(&seen, name, "@", sp.log_position(), " relay ", sp.relay_cursor(), "; ");
        if (!sp.relay_enabled() || sp.relay_lag() != 0 || !sp.relay_error().empty()) ok = false;
        if (!sp.relay_error().empty()) absl::StrAppend(&seen, "relay error: ", sp.relay_error(), "; ");
      }
      std::map<std::string, std::map<int32_t, int64_t>> ends;
      for (const std::string& source : {"referrals", "responses", "deadlines"}) {
        auto e = TopicEndOffsets(brokers_, absl::StrCat("remiss.", source, ".events.v1"));
        if (!e.ok()) {
          ok = false;
          absl::StrAppend(&seen, source, " topic: ", e.status().ToString(), "; ");
          continue;
        }
        ends[source] = *e;
      }
      for (const auto& [consumer, source] : Follows()) {
        std::map<int32_t, int64_t> taken;
        for (const FeedPosition& f : all[consumer].feeds()) {
          if (f.source() != source) continue;
          taken[f.partition()] = f.offset();
          if (f.has_parked()) {
            ok = false;
            absl::StrAppend(&seen, consumer, " PARKED ", f.parked().ShortDebugString(), "; ");
          }
        }
        int64_t behind = 0;
        for (const auto& [partition, end] : ends[source]) {
          const int64_t last = taken.count(partition) ? taken[partition] : -1;
          behind += std::max<int64_t>(0, end - 1 - last);
        }
        absl::StrAppend(&seen, consumer, " behind ", source, " by ", behind, "; ");
        if (behind > 0) ok = false;
      }
    }
    if (ok && seen == previous) {
      if (absl::Now() - stable_since >= quiet) {
        if (seen_out != nullptr) *seen_out = seen;
        return absl::OkStatus();
      }
    } else {
      stable_since = absl::Now();
    }
    previous = ok ? seen : std::string();
    absl::SleepFor(absl::Milliseconds(100));
  }
  if (seen_out != nullptr) *seen_out = seen;
  return absl::DeadlineExceededError(absl::StrCat("the services did not settle within ",
                                                  absl::FormatDuration(limit), "; last seen: ", seen));
}

std::string Services::LogTails() const {
  std::string out;
  for (const auto& [name, process] : processes_) absl::StrAppend(&out, process->LogTails(6000));
  return out;
}

// ---- Kafka --------------------------------------------------------------------------------

absl::StatusOr<std::map<int32_t, int64_t>> TopicEndOffsets(const std::string& brokers,
                                                            const std::string& topic) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log.connection.close", "false", errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(errstr);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(errstr);
  }
  std::map<int32_t, int64_t> out;
  absl::Status status;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::UnavailableError(absl::StrCat("metadata of ", topic, ": ", rd_kafka_err2str(err)));
  } else {
    std::vector<int32_t> partitions;
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < md->topics[0].partition_cnt; ++i) partitions.push_back(md->topics[0].partitions[i].id);
    }
    rd_kafka_metadata_destroy(md);
    if (partitions.empty()) status = absl::UnavailableError(absl::StrCat(topic, ": no partitions yet"));
    for (int32_t p : partitions) {
      int64_t low = 0, high = 0;
      err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 5000);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        status = absl::UnavailableError(absl::StrCat("end offset of ", topic, "[", p, "]: ",
                                                     rd_kafka_err2str(err)));
        break;
      }
      out[p] = high;
    }
  }
  rd_kafka_destroy(rk);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<TopicCheck> CheckTopic(const std::string& brokers, const std::string& service,
                                      uint64_t head) {
  auto messages = remiss::testing::ReadTopic(brokers, absl::StrCat("remiss.", service, ".events.v1"),
                                             head, absl::Seconds(60));
  if (!messages.ok()) return messages.status();
  TopicCheck check;
  std::map<uint64_t, std::string> first;
  std::set<uint64_t> differing;
  for (const remiss::testing::ConsumedMessage& m : *messages) {
    ++check.messages;
    EventEnvelope e;
    if (!e.ParseFromString(m.value) || e.source() != service || e.position() == 0) {
      check.foreign.push_back(absl::StrCat("partition ", m.partition, " offset ", m.offset));
      continue;
    }
    auto [it, added] = first.emplace(e.position(), m.value);
    if (!added) {
      ++check.duplicates;
      if (it->second != m.value) differing.insert(e.position());
    }
  }
  for (uint64_t p = 1; p <= head; ++p) {
    if (!first.count(p)) check.missing.push_back(p);
  }
  check.differing.assign(differing.begin(), differing.end());
  return check;
}

// ---- logs ---------------------------------------------------------------------------------

AppliedCheck CheckApplied(const std::vector<EventEnvelope>& log) {
  AppliedCheck check;
  std::set<std::string> done;
  std::string current;
  for (const EventEnvelope& e : log) {
    if (!e.has_consumed() || e.consumed().source().empty()) {
      current.clear();
      continue;
    }
    ++check.by_type[e.type()];
    const std::string key = absl::StrCat(e.consumed().source(), "@", e.consumed().position());
    if (key == current) continue;  // the same application, its next event
    current = key;
    if (!done.insert(key).second) {
      check.twice.push_back(key);
    } else {
      ++check.applied;
    }
  }
  return check;
}

std::map<uint64_t, int> RoundTermsByReferralsPosition(const std::vector<EventEnvelope>& log) {
  std::map<uint64_t, int> out;
  for (const EventEnvelope& e : log) {
    if (e.has_responses() && e.responses().has_round_terms_recorded()) {
      ++out[e.responses().round_terms_recorded().referrals_position()];
    }
  }
  return out;
}

// ---- views --------------------------------------------------------------------------------

std::map<std::string, std::string> StatusBoards(grpc::Channel& followup,
                                                const std::vector<std::string>& round_ids) {
  FollowupService::Stub stub(std::shared_ptr<grpc::Channel>(&followup, [](auto*) {}));
  std::map<std::string, std::string> out;
  for (const std::string& id : round_ids) {
    GetStatusBoardRequest request;
    request.set_referral_id(id);
    StatusBoard board;
    auto ctx = Context();
    grpc::Status s = stub.GetStatusBoard(ctx.get(), request, &board);
    out[id] = s.ok() ? Deterministic(board) : absl::StrCat("error: ", Describe(s));
  }
  return out;
}

std::string DescribeDifference(const std::map<std::string, std::string>& a,
                               const std::map<std::string, std::string>& b) {
  auto text = [](const std::string& bytes) {
    if (bytes.rfind("error: ", 0) == 0) return bytes;
    StatusBoard board;
    board.ParseFromString(bytes);
    return board.DebugString();
  };
  for (const auto& [id, bytes] : a) {
    auto it = b.find(id);
    if (it == b.end()) return absl::StrCat(id, ": only in the first");
    if (it->second != bytes) {
      return absl::StrCat(id, " differs:\n---- first:\n", text(bytes), "---- second:\n",
                          text(it->second));
    }
  }
  for (const auto& [id, bytes] : b) {
    if (!a.count(id)) return absl::StrCat(id, ": only in the second");
  }
  return "";
}

std::map<std::string, std::string> ProjectionDigests(Services& services) {
  std::map<std::string, std::string> out;
  for (const std::string& s : ServiceNames()) {
    auto channel = services.endpoint(s).Channel();
    if (channel == nullptr) {
      out[s] = "down";
      continue;
    }
    auto d = GetDigest(*channel, s);
    out[s] = d.ok() ? absl::StrCat(d->sha256(), " entries ", d->entries()) : d.status().ToString();
  }
  return out;
}

}  // namespace remiss::faults
