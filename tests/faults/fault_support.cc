#include "tests/faults/fault_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/store/event_store.h"

extern char** environ;

namespace remiss::faults {

using remiss::v1::AdminService;

// ---- sizes, seeds, figures ----------------------------------------------------------------

bool FullSize() {
  const char* size = std::getenv("REMISS_FAULTS_SIZE");
  return size != nullptr && std::string(size) == "full";
}

int64_t Size(const char* name, int64_t ci, int64_t full) {
  const std::string var = absl::StrCat("REMISS_FAULTS_", name);
  if (const char* v = std::getenv(var.c_str()); v != nullptr) {
    int64_t n = 0;
    if (absl::SimpleAtoi(v, &n)) return n;
  }
  return FullSize() ? full : ci;
}

uint64_t Seed(absl::string_view test) {
  uint64_t seed = 0;
  const char* v = std::getenv("REMISS_FAULTS_SEED");
  if (v == nullptr || !absl::SimpleAtoi(v, &seed)) {
    std::random_device device;
    seed = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  std::cout << "[ seed ] " << test << ": REMISS_FAULTS_SEED=" << seed << std::endl;
  return seed;
}

void Figure(absl::string_view test, absl::string_view name, const std::string& value) {
  std::cout << "[ figures ] " << test << ": " << name << " = " << value << std::endl;
}
void Figure(absl::string_view test, absl::string_view name, int64_t value) {
  Figure(test, name, absl::StrCat(value));
}
void Figure(absl::string_view test, absl::string_view name, absl::Duration value) {
  Figure(test, name, absl::FormatDuration(absl::Trunc(value, absl::Milliseconds(1))));
}

// ---- processes ----------------------------------------------------------------------------

namespace {

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string DescribeWait(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return absl::StrCat("wait status ", status);
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

}  // namespace

ServerProcess::ServerProcess(std::string name, std::string binary, std::vector<std::string> args,
                             std::string log_dir)
    : name_(std::move(name)), binary_(std::move(binary)), args_(std::move(args)),
      log_dir_(std::move(log_dir)) {}

ServerProcess::~ServerProcess() { Kill(); }

std::string ServerProcess::LogPath(int incarnation) const {
  return absl::StrCat(log_dir_, "/", name_, ".", incarnation, ".log");
}

absl::StatusOr<std::string> ServerProcess::Start(absl::Duration timeout) {
  if (pid_ > 0) return absl::FailedPreconditionError(name_ + " is running");
  ++incarnation_;
  ended_.clear();
  address_.clear();
  const std::string log_path = LogPath(incarnation_);
  std::vector<std::string> args = {binary_, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), env_.begin(), env_.end());
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {  // only async-signal-safe calls until exec
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  pid_ = pid;
  static const std::regex kListening(R"(listening on (127\.0\.0\.1:[0-9]+))");
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    std::smatch m;
    const std::string log = ReadWhole(log_path);
    if (std::regex_search(log, m, kListening)) {
      address_ = m[1].str();
      return address_;
    }
    if (!Ended().empty()) {
      return absl::InternalError(absl::StrCat(name_, " exited before listening (", ended_,
                                              "):\n", Tail(log, 6000)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  Kill();
  return absl::DeadlineExceededError(absl::StrCat(name_, " did not listen within ",
                                                  absl::FormatDuration(timeout), ":\n",
                                                  Tail(ReadWhole(log_path), 6000)));
}

void ServerProcess::SetFlag(const std::string& flag, const std::string& value) {
  for (size_t i = 0; i + 1 < args_.size(); ++i) {
    if (args_[i] == flag) {
      args_[i + 1] = value;
      return;
    }
  }
  args_.push_back(flag);
  args_.push_back(value);
}

void ServerProcess::RemoveFlag(const std::string& flag) {
  args_.erase(std::remove(args_.begin(), args_.end(), flag), args_.end());
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  ended_ = DescribeWait(status);
  pid_ = -1;
}

std::string ServerProcess::Stop(absl::Duration grace) {
  if (pid_ <= 0) return ended_.empty() ? "" : ended_;
  ::kill(pid_, SIGTERM);
  const absl::Time until = absl::Now() + grace;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    if (absl::Now() > until) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      ended_ = absl::StrCat("did not stop within ", absl::FormatDuration(grace),
                            " of SIGTERM; killed");
      return ended_;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  pid_ = -1;
  ended_ = DescribeWait(status);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : ended_;
}

std::string ServerProcess::Ended() {
  if (pid_ <= 0) return ended_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    ended_ = DescribeWait(status);
  }
  return ended_;
}

std::string ServerProcess::Log() const { return ReadWhole(LogPath(incarnation_)); }

std::string ServerProcess::LogTails(size_t per_log) const {
  std::string out;
  for (int i = 1; i <= incarnation_; ++i) {
    absl::StrAppend(&out, "---- ", name_, " incarnation ", i, " (", LogPath(i), "):\n",
                    Tail(ReadWhole(LogPath(i)), per_log), "\n");
  }
  return out;
}

// ---- endpoint -----------------------------------------------------------------------------

void Endpoint::Set(const std::string& address) {
  grpc::ChannelArguments args;
  // A fresh channel per incarnation; reconnect quickly if it drops.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  std::lock_guard<std::mutex> lock(mu_);
  channel_ = std::move(channel);
  ++generation_;
}

void Endpoint::Down() {
  std::lock_guard<std::mutex> lock(mu_);
  channel_.reset();
  ++generation_;
}

std::shared_ptr<grpc::Channel> Endpoint::Channel(uint64_t* generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation != nullptr) *generation = generation_;
  return channel_;
}

uint64_t Endpoint::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

std::unique_ptr<grpc::ClientContext> Context(const Caller& caller, absl::Duration deadline) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  ctx->AddMetadata("x-remiss-org", caller.org);
  ctx->AddMetadata("x-remiss-role", caller.role);
  ctx->AddMetadata("x-remiss-person", caller.person);
  return ctx;
}

bool InDoubt(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

std::string Describe(const grpc::Status& s) {
  static const char* const kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int code = static_cast<int>(s.error_code());
  const std::string name = code >= 0 && code <= 16 ? kNames[code] : absl::StrCat("code ", code);
  return s.ok() ? name : absl::StrCat(name, ": ", s.error_message());
}

CommandOutcome Execute(const Endpoint& endpoint, const Send& send, const std::atomic<bool>* stop,
                       int max_tries) {
  CommandOutcome out;
  while (out.tries < max_tries) {
    uint64_t generation = 0;
    std::shared_ptr<grpc::Channel> channel = endpoint.Channel(&generation);
    if (channel == nullptr) {
      if (stop != nullptr && stop->load()) break;
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    ++out.tries;
    out.result.Clear();
    out.status = send(*channel, &out.result);
    if (!InDoubt(out.status.error_code())) return out;
    out.was_in_doubt = true;
    if (stop != nullptr && stop->load()) break;
    // Wait for the next incarnation, or a moment (a full queue, a slow start).
    const absl::Time until = absl::Now() + absl::Milliseconds(50);
    while (absl::Now() < until && endpoint.generation() == generation) {
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  return out;
}

// ---- admin --------------------------------------------------------------------------------

namespace {

Caller Operator() { return {.org = "ks", .role = "operator", .person = "operator-1"}; }

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", Describe(s)));
}

}  // namespace

absl::StatusOr<remiss::v1::Positions> GetPositions(grpc::Channel& channel) {
  auto stub = AdminService::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](auto*) {}));
  remiss::v1::Positions out;
  auto ctx = Context(Operator());
  grpc::Status s = stub->GetPositions(ctx.get(), remiss::v1::GetPositionsRequest(), &out);
  if (!s.ok()) return FromGrpc(s, "GetPositions");
  return out;
}

absl::StatusOr<remiss::v1::ProjectionDigest> GetDigest(grpc::Channel& channel,
                                                       const std::string& service) {
  auto stub = AdminService::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](auto*) {}));
  remiss::v1::GetProjectionDigestRequest request;
  request.set_service(service);
  remiss::v1::ProjectionDigest out;
  auto ctx = Context(Operator(), absl::Seconds(60));
  grpc::Status s = stub->GetProjectionDigest(ctx.get(), request, &out);
  if (!s.ok()) return FromGrpc(s, absl::StrCat("GetProjectionDigest ", service));
  return out;
}

absl::StatusOr<remiss::v1::ProjectionDigest> Rebuild(grpc::Channel& channel,
                                                     const std::string& service) {
  auto stub = AdminService::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](auto*) {}));
  remiss::v1::RebuildProjectionsRequest request;
  request.set_service(service);
  remiss::v1::ProjectionDigest out;
  auto ctx = Context(Operator(), absl::Seconds(300));
  grpc::Status s = stub->RebuildProjections(ctx.get(), request, &out);
  if (!s.ok()) return FromGrpc(s, absl::StrCat("RebuildProjections ", service));
  return out;
}

absl::StatusOr<remiss::v1::ServicePositions> PositionsOf(grpc::Channel& channel,
                                                         const std::string& service) {
  auto p = GetPositions(channel);
  if (!p.ok()) return p.status();
  for (const auto& s : p->services()) {
    if (s.service() == service) return s;
  }
  return absl::NotFoundError(absl::StrCat("GetPositions names no service ", service));
}

absl::Status WaitForPositions(grpc::Channel& channel,
                              const std::function<bool(const remiss::v1::Positions&)>& settled,
                              absl::Duration limit) {
  const absl::Time until = absl::Now() + limit;
  std::string previous, seen;
  while (absl::Now() < until) {
    auto p = GetPositions(channel);
    if (p.ok()) {
      std::string heads;
      for (const auto& s : p->services()) absl::StrAppend(&heads, s.service(), "@", s.log_position(), " ");
      if (settled(*p)) {
        if (heads == previous) return absl::OkStatus();
        previous = heads;
      } else {
        previous.clear();
      }
      seen = p->ShortDebugString();
    } else {
      seen = p.status().ToString();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat("positions did not settle within ",
                                                  absl::FormatDuration(limit), "; last seen: ",
                                                  seen));
}

bool FollowersCaughtUp(const remiss::v1::Positions& p, std::string* seen) {
  static const std::vector<std::pair<std::string, std::string>> kFollows = {
      {"responses", "referrals"}, {"deadlines", "responses"}, {"followup", "referrals"},
      {"followup", "responses"},  {"followup", "deadlines"}};
  std::map<std::string, const remiss::v1::ServicePositions*> by;
  for (const auto& s : p.services()) by[s.service()] = &s;
  bool ok = true;
  std::string out;
  for (const auto& [consumer, source] : kFollows) {
    if (!by.count(consumer) || !by.count(source)) continue;
    uint64_t taken = 0;
    for (const auto& f : by[consumer]->feeds()) {
      if (f.source() == source) taken = std::max<uint64_t>(taken, f.position());
      if (f.has_parked()) {
        ok = false;
        absl::StrAppend(&out, consumer, " parked ", f.parked().ShortDebugString(), "; ");
      }
    }
    absl::StrAppend(&out, consumer, " has ", taken, " of ", source, "'s ",
                    by[source]->log_position(), "; ");
    ok = ok && taken >= by[source]->log_position();
  }
  if (seen != nullptr) *seen = out;
  return ok;
}

absl::StatusOr<std::vector<DigestCheck>> CheckDigests(grpc::Channel& channel,
                                                      const std::vector<std::string>& services) {
  std::vector<DigestCheck> out;
  for (const std::string& service : services) {
    DigestCheck c;
    c.service = service;
    auto live = GetDigest(channel, service);
    if (!live.ok()) return live.status();
    auto rebuilt = Rebuild(channel, service);
    if (!rebuilt.ok()) return rebuilt.status();
    auto after = GetDigest(channel, service);
    if (!after.ok()) return after.status();
    c.live = *live;
    c.rebuilt = *rebuilt;
    c.after = *after;
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> LogOnDisk(const std::string& data_dir,
                                                                 const std::string& service) {
  static const remiss::core::SystemClock clock;
  remiss::core::EventStoreOptions options;
  options.path = absl::StrCat(data_dir, "/", service);
  options.source = service;
  options.clock = &clock;
  auto store = remiss::core::EventStore::Open(options);
  if (!store.ok()) return store.status();
  std::vector<remiss::v1::EventEnvelope> out;
  uint64_t from = 1;
  for (;;) {
    auto events = (*store)->ReadLog(from, 4096);
    if (!events.ok()) return events.status();
    if (events->empty()) break;
    for (auto& e : *events) out.push_back(std::move(e));
    from = out.back().position() + 1;
  }
  return out;
}

absl::StatusOr<std::vector<uint64_t>> LogPositionsOnDisk(const std::string& data_dir,
                                                         const std::string& service) {
  auto log = LogOnDisk(data_dir, service);
  if (!log.ok()) return log.status();
  std::vector<uint64_t> positions;
  positions.reserve(log->size());
  for (const auto& e : *log) positions.push_back(e.position());
  return positions;
}

}  // namespace remiss::faults
