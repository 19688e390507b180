// What addressing a round from a distribution list saves a KS: a round sent to N bodies
// (default 72, a state referral; Regeringskansliet sends to 50-150) addressed with one
// AddressReferral naming a saved list, against the same round addressed with N AddAddressee
// calls, through a real gRPC server on loopback with a real RocksDB store (synced commits).
// Prints calls, wall time and events for each way; asserts nothing.
// Run: build/tools/remiss-bench-addressing [bodies, default 72] [rounds each way, default 5]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/server/service_host.h"
#include "remiss/referrals/module.h"
#include "remiss/v1/referrals.grpc.pb.h"

namespace {

using namespace remiss::v1;

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ctx->AddMetadata("x-remiss-org", "ks");
  ctx->AddMetadata("x-remiss-role", "registrator");
  return ctx;
}

template <typename Request>
void Must(grpc::Status (ReferralService::Stub::*method)(grpc::ClientContext*, const Request&,
                                                        CommandResult*),
          ReferralService::Stub& stub, const Request& request) {
  CommandResult result;
  grpc::Status s = (stub.*method)(Ctx().get(), request, &result);
  if (!s.ok()) {
    std::fprintf(stderr, "%s refused: %s\n", request.command_id().c_str(), s.error_message().c_str());
    std::exit(1);
  }
}

void Draft(ReferralService::Stub& stub, const std::string& case_number) {
  CreateReferralRequest create;
  create.set_command_id("create-" + case_number);
  create.set_case_number(case_number);
  create.set_title("Remiss " + case_number);
  create.set_sender_org_id("ks");
  Must(&ReferralService::Stub::CreateReferral, stub, create);
}

}  // namespace

int main(int argc, char** argv) {
  int bodies = 72, rounds = 5;
  if ((argc > 1 && !absl::SimpleAtoi(argv[1], &bodies)) ||
      (argc > 2 && !absl::SimpleAtoi(argv[2], &rounds)) || bodies < 1 || bodies > 1000 ||
      rounds < 1) {
    std::fprintf(stderr, "usage: remiss-bench-addressing [bodies 1-1000] [rounds]\n");
    return 2;
  }
  const std::string dir = (std::filesystem::temp_directory_path() /
                           absl::StrCat("remiss-bench-addressing-", getpid()))
                              .string();
  remiss::core::SystemClock clock;
  auto module = remiss::referrals::ReferralsModule::Open({.data_dir = dir, .clock = &clock});
  if (!module.ok()) {
    std::fprintf(stderr, "%s\n", module.status().ToString().c_str());
    return 1;
  }
  remiss::core::ServiceHost host("127.0.0.1:0", 4 << 20);
  (*module)->Host(host);
  if (!host.Start().ok()) return 1;
  auto stub = ReferralService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", host.port()), grpc::InsecureChannelCredentials()));

  RegisterOrganizationRequest ks;
  ks.set_command_id("register-ks");
  ks.set_org_id("ks");
  ks.set_name("Kommunstyrelsen");
  ks.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
  ks.set_may_send_rounds(true);
  Must(&ReferralService::Stub::RegisterOrganization, *stub, ks);
  CreateDistributionListRequest list;
  list.set_command_id("list");
  list.set_name("remissinstanser");
  for (int i = 1; i <= bodies; ++i) {
    RegisterOrganizationRequest r;
    r.set_org_id(absl::StrFormat("instans-%04d", i));
    r.set_command_id("register-" + r.org_id());
    r.set_name(absl::StrCat("Remissinstans ", i));
    r.set_kind(ORGANIZATION_KIND_MYNDIGHET);
    r.set_registry_mailbox(absl::StrCat("registrator.", i, "@myndighet.example.se"));
    Must(&ReferralService::Stub::RegisterOrganization, *stub, r);
    list.add_member_org_ids(r.org_id());
  }
  Must(&ReferralService::Stub::CreateDistributionList, *stub, list);

  double one_call = 0, singles = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string a = absl::StrCat("KS 2030/", 2 * round + 1);
    Draft(*stub, a);
    auto start = std::chrono::steady_clock::now();
    AddressReferralRequest address;
    address.set_command_id("address-" + a);
    address.set_referral_id(a);
    address.add_distribution_list_ids("remissinstanser");
    Must(&ReferralService::Stub::AddressReferral, *stub, address);
    one_call += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const std::string b = absl::StrCat("KS 2030/", 2 * round + 2);
    Draft(*stub, b);
    start = std::chrono::steady_clock::now();
    for (int i = 1; i <= bodies; ++i) {
      AddAddresseeRequest add;
      add.set_org_id(absl::StrFormat("instans-%04d", i));
      add.set_command_id(absl::StrCat("add-", b, "-", add.org_id()));
      add.set_referral_id(b);
      Must(&ReferralService::Stub::AddAddressee, *stub, add);
    }
    singles += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  std::printf("addressing a round to %d bodies, mean of %d rounds each way:\n", bodies, rounds);
  std::printf("  from a list (AddressReferral): 1 call,  %d events, %8.1f ms per round\n", bodies,
              1000 * one_call / rounds);
  std::printf("  one by one (AddAddressee):     %d calls, %d events, %8.1f ms per round\n", bodies,
              bodies, 1000 * singles / rounds);
  host.Shutdown(absl::Seconds(1));
  module->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
