// What the notices' tests against remissd share: calls as a person of an organization, a
// remissd process with the notices service (started, stopped, killed with SIGKILL, restarted
// on its data), its notices read back, and a round to `n` boards issued. A target including
// it defines REMISSD (the binary's path).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/notices.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tests/notices/mail_support.h"

namespace remiss::testing {

using namespace remiss::v1;

inline std::unique_ptr<grpc::ClientContext> As(const std::string& org, const std::string& role) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ctx->set_wait_for_ready(true);
  ctx->AddMetadata("x-remiss-org", org);
  ctx->AddMetadata("x-remiss-role", role);
  ctx->AddMetadata("x-remiss-person", org + "-person-1");
  return ctx;
}
inline auto Ks() { return As("ks", "ks"); }
inline auto Operator() { return As("drift", "operator"); }

// remissd with the notices service mailing `smtp_url`, its data in `dir`/data.
class Remissd {
 public:
  Remissd(std::string dir, std::vector<std::string> extra, std::string binary = REMISSD)
      : dir_(std::move(dir)), extra_(std::move(extra)), binary_(std::move(binary)) {}

  ::testing::AssertionResult Start() {
    std::vector<std::string> args = {binary_, "--listen", "127.0.0.1:0", "--data-dir", dir_ + "/data"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    // Only what this start writes: the log may hold an earlier process's lines.
    std::error_code ec;
    const size_t log_before = std::filesystem::exists(dir_ + "/remissd.log", ec)
                                  ? std::filesystem::file_size(dir_ + "/remissd.log", ec)
                                  : 0;
    process_ = std::make_unique<ChildProcess>(args, dir_ + "/remissd.log");
    const int port = process_->WaitForPort(absl::Seconds(60), log_before);
    if (port == 0) return ::testing::AssertionFailure() << "remissd did not start:\n" << process_->Log();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    address_ = absl::StrCat("127.0.0.1:", port);
    return ::testing::AssertionSuccess();
  }
  void Kill9() { process_->Kill(); }
  void Stop() { process_->Stop(); }
  bool running() { return process_->running(); }
  std::string Log() const { return process_->Log(); }
  const std::string& address() const { return address_; }

  std::unique_ptr<ReferralService::Stub> referrals() { return ReferralService::NewStub(channel_); }
  std::unique_ptr<NoticesService::Stub> notices() { return NoticesService::NewStub(channel_); }
  std::unique_ptr<AdminService::Stub> admin() { return AdminService::NewStub(channel_); }
  std::unique_ptr<FollowupService::Stub> followup() { return FollowupService::NewStub(channel_); }
  std::unique_ptr<DeadlineService::Stub> deadlines() { return DeadlineService::NewStub(channel_); }
  std::unique_ptr<ResponseService::Stub> responses() { return ResponseService::NewStub(channel_); }

  std::vector<Notice> List(const std::string& referral_id) {
    ListNoticesRequest r;
    r.set_referral_id(referral_id);
    ListNoticesResponse out;
    grpc::Status s = notices()->ListNotices(Ks().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {out.notices().begin(), out.notices().end()};
  }

  // Waits (bounded) until `referral_id` has `count` notices and none waits to be sent.
  ::testing::AssertionResult AwaitSettled(const std::string& referral_id, size_t count,
                                          absl::Duration timeout = absl::Seconds(120)) {
    const absl::Time until = absl::Now() + timeout;
    std::string seen;
    while (absl::Now() < until) {
      std::vector<Notice> list = List(referral_id);
      size_t pending = 0;
      for (const Notice& n : list) {
        pending += n.state() == NOTICE_STATE_QUEUED || n.state() == NOTICE_STATE_DEFERRED;
      }
      seen = absl::StrCat(list.size(), " notices, ", pending, " pending");
      if (list.size() >= count && pending == 0) return ::testing::AssertionSuccess();
      absl::SleepFor(absl::Milliseconds(50));
    }
    return ::testing::AssertionFailure() << referral_id << ": " << seen << "\n" << Log().substr(0, 4000);
  }

  // Waits until the notices service has taken in everything referrals, responses and
  // deadlines recorded (one process: its feeds' positions equal their logs').
  ::testing::AssertionResult AwaitFeeds() {
    const absl::Time until = absl::Now() + absl::Seconds(60);
    while (absl::Now() < until) {
      Positions p;
      if (admin()->GetPositions(Operator().get(), GetPositionsRequest(), &p).ok()) {
        std::map<std::string, uint64_t> heads;
        const ServicePositions* notices = nullptr;
        for (const auto& s : p.services()) {
          heads[s.service()] = s.log_position();
          if (s.service() == "notices") notices = &s;
        }
        if (notices == nullptr) return ::testing::AssertionFailure() << "no notices service in remissd";
        bool caught_up = true;
        for (const auto& f : notices->feeds()) caught_up &= f.position() == heads[f.source()];
        if (caught_up && notices->feeds_size() == 3) return ::testing::AssertionSuccess();
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return ::testing::AssertionFailure() << "the notices service did not catch up";
  }

 private:
  std::string dir_;
  std::vector<std::string> extra_;
  std::string binary_;
  std::unique_ptr<ChildProcess> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string address_;
};

inline std::vector<std::string> NoticeArgs(const Mailpit& mailpit, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--smtp-url",         mailpit.smtp_url(), "--smtp-from", "remiss@stockholm.example",
                                   "--notices-domain",   "stockholm.example", "--notices-backoff", "100ms",
                                   "--notices-console-url", "https://remiss.stockholm.example"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// A round titled `title` to boards board-001..board-`n` (registered before), with its deadline,
// issued. (`working_day_rule`: a deadline on a weekend or public holiday moves to the next
// working day.)
inline void IssueRound(Remissd& server, const std::string& case_number, int n, const std::string& deadline,
                       bool working_day_rule, const std::string& title) {
  auto referrals = server.referrals();
  CommandResult r;
  CreateReferralRequest create;
  create.set_command_id("create-" + case_number);
  create.set_case_number(case_number);
  create.set_title(title);
  create.set_sender_org_id("ks");
  for (int i = 1; i <= n; ++i) create.add_add_org_ids(absl::StrFormat("board-%03d", i));
  grpc::Status s = referrals->CreateReferral(Ks().get(), create, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  SetDeadlineRequest d;
  d.set_command_id("deadline-" + case_number);
  d.set_referral_id(r.id());
  d.set_deadline(deadline);
  d.set_working_day_rule(working_day_rule);
  ASSERT_TRUE(referrals->SetDeadline(Ks().get(), d, &r).ok());
  IssueReferralRequest issue;
  issue.set_command_id("issue-" + case_number);
  issue.set_referral_id(r.id());
  s = referrals->IssueReferral(Ks().get(), issue, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

// `n` boards board-001... with registry mailboxes, KS, and a round to all of them issued.
// (`working_day_rule`: a deadline on a weekend or public holiday moves to the next working day.)
inline void IssueRoundToBoards(Remissd& server, const std::string& case_number, int n, const std::string& deadline,
                               bool working_day_rule = false) {
  auto referrals = server.referrals();
  CommandResult r;
  RegisterOrganizationRequest ks;
  ks.set_command_id("org-ks");
  ks.set_org_id("ks");
  ks.set_name("Kommunstyrelsen");
  ks.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
  ks.set_registry_mailbox("registrator.slk@stockholm.example");
  ks.set_may_send_rounds(true);  // the first sender (the first start's concession)
  ASSERT_TRUE(referrals->RegisterOrganization(Ks().get(), ks, &r).ok());
  for (int i = 1; i <= n; ++i) {
    const std::string id = absl::StrFormat("board-%03d", i);
    RegisterOrganizationRequest org;
    org.set_command_id("org-" + id);
    org.set_org_id(id);
    org.set_name(absl::StrCat("Nämnd ", i));
    org.set_kind(ORGANIZATION_KIND_FACKNAMND);
    org.set_registry_mailbox(absl::StrCat("registrator@", id, ".stockholm.example"));
    grpc::Status s = referrals->RegisterOrganization(Ks().get(), org, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  IssueRound(server, case_number, n, deadline, working_day_rule,
             "Stockholms stads trygghetsprogram 2020–2023");
}

}  // namespace remiss::testing
