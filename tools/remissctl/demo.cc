#include "tools/remissctl/demo.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "remiss/v1/admin.pb.h"
#include "tools/remissctl/command_table.h"
#include "tools/remissctl/errors.h"
#include "tools/remissctl/rpc.h"
#include "tools/remissctl/runner.h"
#include "tools/remissctl/tls.h"
#include "tools/seed/seed_scenario.h"

namespace remissctl {
namespace {

constexpr char kHelp[] =
    "remissctl demo: loads both seed rounds (KS 2019/1939 and its revision KS 2023/739) into a\n"
    "running remissd, as KS's staff and the boards' officers would, moving its manual clock\n"
    "from 2020-12-01 to 2023-12-18; then shows the status board of KS 2019/1939.\n"
    "\n"
    "The server must run on a manual clock at the scenario's start, with a fresh data dir:\n"
    "  remissd --manual-clock 2020-12-01T09:00:00+01:00 --data-dir /tmp/demo\n"
    "  remissctl demo\n"
    "Under mutual TLS, give a tools/pki.sh directory: each actor presents its own certificate\n"
    "(KS's staff ks, each board its own, the clock operator):\n"
    "  remissctl --pki ~/.cache/remiss/pki --server localhost:50051 demo\n"
    "\n"
    "Exit codes: 0 loaded; 2 the server is not on a manual clock; 4 its clock is already past\n"
    "the start (load into a fresh data dir); 5 the server cannot be reached; 1 a step failed.\n";

}  // namespace

int RunDemo(const Options& o, const std::vector<std::string>& args) {
  if (o.help) {
    std::cout << kHelp;
    return kOk;
  }
  if (!args.empty()) {
    throw UsageError(absl::StrCat("remissctl demo takes no arguments; \"", args[0],
                                  "\" is one too many"));
  }
  if (!o.ca.empty() && o.pki.empty()) {
    throw UsageError("remissctl demo under TLS plays KS and every board, each with its own "
                     "certificate: give --pki DIR (made by tools/pki.sh), not --cert");
  }
  // Admin calls as the operator, queries as KS; plaintext when there is no PKI.
  const Options admin = o.pki.empty() ? o : WithPkiIdentity(o, "operator");
  const Options ks = o.pki.empty() ? o : WithPkiIdentity(o, "ks");
  const absl::Time start = remiss::seed::At(remiss::seed::kStart);
  const absl::TimeZone& tz = remiss::seed::Stockholm();

  // Every server must run on a manual clock, not yet past the scenario's start.
  absl::Time now = absl::InfinitePast();
  std::string where;
  for (const auto& [name, address] : AllAddresses(o)) {
    remiss::v1::ClockState clock;
    Call(admin, address, "remiss.v1.AdminService", "GetClock", remiss::v1::GetClockRequest(), &clock);
    if (!clock.manual()) {
      std::cerr << "remissctl: the server at " << address
                << " runs on the system clock; the demo moves the clock through 2020-2023, so "
                   "start remissd with --manual-clock "
                << remiss::seed::kStartFlag << " (and an empty --data-dir)\n";
      return kUsage;
    }
    const absl::Time t = absl::FromUnixSeconds(clock.now().seconds());
    if (t > start) {
      std::cerr << "remissctl: the clock of the server at " << address << " is already at "
                << absl::FormatTime("%Y-%m-%d %H:%M", t, tz)
                << ", past the demo's start (2020-12-01 09:00): the demo loads into a fresh data "
                   "dir; start remissd on an empty --data-dir with --manual-clock "
                << remiss::seed::kStartFlag << "\n";
      return kRefused;
    }
    now = std::max(now, t);
    if (!where.empty()) absl::StrAppend(&where, ", ");
    absl::StrAppend(&where, address);
  }

  std::cout << "Loading both seed rounds into " << where << " (manual clock at "
            << absl::FormatTime("%Y-%m-%d %H:%M", now, tz) << "):" << std::endl;
  const absl::Time began = absl::Now();
  remiss::seed::ScenarioOptions options;
  options.progress = [](const std::string& line) { std::cout << "  " << line << std::endl; };
  if (!o.pki.empty()) {
    options.credentials = [o](const std::string& name) {
      return ChannelCredentialsFor(WithPkiIdentity(o, name));
    };
  }
  remiss::seed::Cluster cluster(
      remiss::seed::Addresses{AddressFor(o, "referrals"), AddressFor(o, "responses"),
                              AddressFor(o, "deadlines"), AddressFor(o, "followup")},
      std::move(options), now);
  absl::Status played = remiss::seed::PlayBothRounds(cluster);
  if (!played.ok()) {
    std::cerr << "remissctl: the demo stopped: " << played.message() << "\n";
    return kOther;
  }
  std::cout << "Loaded in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - began, absl::Milliseconds(100)))
            << ". The status board of KS 2019/1939:\n"
            << std::endl;

  std::vector<std::string> board = {"board", "KS-2019-1939"};
  size_t n = 0;
  const Command* cmd = FindCommand(board, &n);
  if (!cmd) throw std::runtime_error("remissctl has no board command");
  int code = RunCommand(ks, *cmd, {board.begin() + n, board.end()}, std::cout);
  std::cout << "\nLook around:\n"
               "  remissctl board KS-2019-1939     the first round, six answers, one late\n"
               "  remissctl org bromma-sdn         what Bromma answered, in both rounds\n"
               "  remissctl chain KS-2023-739      the revision next to the first round\n";
  return code;
}

}  // namespace remissctl
