#include "tools/remissctl/rebuild.h"

#include <unistd.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "remiss/v1/admin.pb.h"
#include "tools/remissctl/errors.h"
#include "tools/remissctl/render.h"
#include "tools/remissctl/rpc.h"

namespace remissctl {
namespace {

constexpr char kAdmin[] = "remiss.v1.AdminService";
constexpr char kHelp[] =
    "remissctl rebuild [SERVICE]: rebuilds a service's projections (its views) from its own\n"
    "event log, in the server's background: commands and queries are served all the while,\n"
    "from the old projections until the rebuilt ones have caught up and replace them. Shows a\n"
    "progress bar on a terminal, then the new projections' digest (compare with `remissctl\n"
    "digest` before). SERVICE: referrals, responses, deadlines, followup or notices (default: the\n"
    "server's first).\n"
    "\n"
    "  remissctl rebuild followup\n";

// "[#########...........]  45%  123 456 / 270 000 events  1.2 M/s"
std::string Bar(const remiss::v1::RebuildState& r) {
  constexpr int kWidth = 30;
  const double done = r.target() == 0 ? 1.0 : static_cast<double>(r.position()) / r.target();
  const int filled = static_cast<int>(done * kWidth);
  return absl::StrFormat("[%s%s] %3d%%  %d / %d events  %.0f events/s", std::string(filled, '#'),
                         std::string(kWidth - filled, '.'), static_cast<int>(done * 100),
                         r.position(), r.target(), r.events_per_second());
}

}  // namespace

int RunRebuild(const Options& o, const std::vector<std::string>& args) {
  if (o.help) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.size() > 1) {
    throw UsageError(absl::StrCat("remissctl rebuild takes one service; \"", args[1],
                                  "\" is one too many"));
  }
  const std::string address = AddressFor(o, kAdmin);
  remiss::v1::RebuildProjectionsRequest start;
  if (!args.empty()) start.set_service(args[0]);
  start.set_background(true);
  remiss::v1::ProjectionDigest before;
  Call(o, address, kAdmin, "RebuildProjections", start, &before);

  const bool bar = !o.json && isatty(STDERR_FILENO);
  remiss::v1::GetPositionsRequest ask;
  ask.set_service(before.service());
  remiss::v1::RebuildState state;
  do {
    absl::SleepFor(absl::Milliseconds(200));
    remiss::v1::Positions positions;
    Call(o, address, kAdmin, "GetPositions", ask, &positions);
    if (positions.services_size() == 0) break;
    state = positions.services(0).rebuild();
    if (bar) std::cerr << "\r" << Bar(state) << std::flush;
  } while (state.running());
  if (bar) std::cerr << "\n";
  if (!state.error().empty()) {
    throw CallError(kOther, absl::StrCat("the rebuild of ", before.service(), " failed: ", state.error()));
  }
  remiss::v1::GetProjectionDigestRequest digest_request;
  digest_request.set_service(before.service());
  remiss::v1::ProjectionDigest after;
  Call(o, address, kAdmin, "GetProjectionDigest", digest_request, &after);
  if (o.json) {
    std::cout << ToJson(after) << "\n";
  } else {
    PrintRecord(std::cout, after, 0);
  }
  return kOk;
}

}  // namespace remissctl
