// Issue 25, finding 5: role `ks` acts only for an organization the referrals data says may
// send rounds (may_send_rounds), through a real gRPC server on loopback. The development
// listener names the caller in x-remiss-* metadata; the rule is the referrals data's, so it
// holds there as under mutual TLS (tests/integration/mtls_test.cc: through the gateway).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using remiss::testing::RegisterKs;
using remiss::testing::RemissServer;
using namespace remiss::v1;

class SendersGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()); }

  // A call as `role` of `org`.
  template <typename Request>
  grpc::Status As(const std::string& org, const std::string& role,
                  grpc::Status (ReferralService::Stub::*method)(grpc::ClientContext*, const Request&,
                                                                CommandResult*),
                  const Request& request) {
    CommandResult result;
    return (server_.referrals().*method)(RemissServer::ContextAs(org, role).get(), request, &result);
  }
  static RegisterOrganizationRequest Org(const std::string& id, bool may_send_rounds = false,
                                         OrganizationKind kind = ORGANIZATION_KIND_STADSDELSNAMND) {
    RegisterOrganizationRequest r;
    r.set_command_id(absl::StrCat("register-", id, may_send_rounds ? "-sender" : ""));
    r.set_org_id(id);
    r.set_name(id);
    r.set_kind(kind);
    r.set_may_send_rounds(may_send_rounds);
    return r;
  }
  Organization Get(const std::string& id) {
    GetOrganizationRequest r;
    r.set_org_id(id);
    Organization out;
    auto ctx = RemissServer::ContextAs("ks", "reader");
    grpc::Status s = server_.referrals().GetOrganization(ctx.get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  ProjectionDigest Digest() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ProjectionDigest d;
    EXPECT_TRUE(server_.admin().GetProjectionDigest(&ctx, {}, &d).ok());
    return d;
  }
  static ::testing::AssertionResult DeniedFor(const grpc::Status& s, const std::string& org) {
    const std::string want = absl::StrCat("role ks: organization \"", org, "\" may not send rounds");
    if (s.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
        absl::StartsWith(s.error_message(), want)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "got " << s.error_code() << " \"" << s.error_message()
                                         << "\"; want PERMISSION_DENIED \"" << want << "...\"";
  }

  // Every ks command of ReferralService, as `org`'s ks, each with what it needs to get past
  // the checks of its own fields' presence.
  std::vector<std::pair<std::string, grpc::Status>> EveryKsCommandAs(const std::string& org) {
    std::vector<std::pair<std::string, grpc::Status>> out;
    const std::string id = absl::StrCat("by-", org);
    auto add = [&](const std::string& rpc, grpc::Status s) { out.emplace_back(rpc, std::move(s)); };
    using S = ReferralService::Stub;
    add("RegisterOrganization", As(org, "ks", &S::RegisterOrganization, Org("solna-sdn")));
    {
      UpdateOrganizationRequest r;
      r.set_command_id(id + "-update");
      r.set_org_id("bromma-sdn");
      r.set_name("Bromma");
      r.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
      add("UpdateOrganization", As(org, "ks", &S::UpdateOrganization, r));
      r.set_org_id(org);  // itself, as a sender
      r.set_may_send_rounds(true);
      add("UpdateOrganization (itself, may_send_rounds)", As(org, "ks", &S::UpdateOrganization, r));
    }
    {
      SetRegistryMailboxRequest r;
      r.set_command_id(id + "-mailbox");
      r.set_org_id("bromma-sdn");
      r.set_registry_mailbox("registrator.bromma@stockholm.se");
      add("SetRegistryMailbox", As(org, "ks", &S::SetRegistryMailbox, r));
    }
    {
      CreateDistributionListRequest r;
      r.set_command_id(id + "-list");
      r.set_name("stadsdelsnämnderna");
      r.add_member_org_ids("bromma-sdn");
      add("CreateDistributionList", As(org, "ks", &S::CreateDistributionList, r));
      ChangeDistributionListRequest c;
      c.set_command_id(id + "-change");
      c.set_list_id("ks-lista");
      c.add_add_org_ids("bromma-sdn");
      add("ChangeDistributionList", As(org, "ks", &S::ChangeDistributionList, c));
    }
    {
      CreateReferralRequest r;
      r.set_command_id(id + "-create");
      r.set_case_number("BRO 2021/1");
      r.set_title("En egen remiss");
      r.set_sender_org_id(org);
      r.add_add_org_ids("bromma-sdn");
      add("CreateReferral", As(org, "ks", &S::CreateReferral, r));
    }
    const std::string round = "ks-2020-1";  // KS's own draft
    {
      AttachDocumentRequest r;
      r.set_command_id(id + "-doc");
      r.set_referral_id(round);
      r.mutable_document()->set_id("bilaga-2");
      r.mutable_document()->set_title("Bilaga");
      r.mutable_document()->set_uri("diary://KS/2020/1/bilaga-2");
      r.mutable_document()->set_sha256(std::string(64, 'b'));
      add("AttachDocument", As(org, "ks", &S::AttachDocument, r));
    }
    {
      AddAddresseeRequest r;
      r.set_command_id(id + "-add");
      r.set_referral_id(round);
      r.set_org_id("solna-sdn");
      add("AddAddressee", As(org, "ks", &S::AddAddressee, r));
      RemoveAddresseeRequest rm;
      rm.set_command_id(id + "-remove");
      rm.set_referral_id(round);
      rm.set_org_id("bromma-sdn");
      add("RemoveAddressee", As(org, "ks", &S::RemoveAddressee, rm));
      AddressReferralRequest a;
      a.set_command_id(id + "-address");
      a.set_referral_id(round);
      a.add_distribution_list_ids("ks-lista");
      add("AddressReferral", As(org, "ks", &S::AddressReferral, a));
    }
    {
      SetDeadlineRequest r;
      r.set_command_id(id + "-deadline");
      r.set_referral_id(round);
      r.set_deadline("2021-03-31");
      add("SetDeadline", As(org, "ks", &S::SetDeadline, r));
      IssueReferralRequest i;
      i.set_command_id(id + "-issue");
      i.set_referral_id(round);
      add("IssueReferral", As(org, "ks", &S::IssueReferral, i));
      MoveDeadlineRequest m;
      m.set_command_id(id + "-move");
      m.set_referral_id(round);
      m.set_deadline("2021-04-30");
      m.set_reason("vill ha mer tid");
      add("MoveDeadline", As(org, "ks", &S::MoveDeadline, m));
      CloseReferralRequest c;
      c.set_command_id(id + "-close");
      c.set_referral_id(round);
      add("CloseReferral", As(org, "ks", &S::CloseReferral, c));
      WithdrawReferralRequest w;
      w.set_command_id(id + "-withdraw");
      w.set_referral_id(round);
      w.set_reason("återkallad");
      add("WithdrawReferral", As(org, "ks", &S::WithdrawReferral, w));
      LinkRevisionRequest l;
      l.set_command_id(id + "-link");
      l.set_referral_id(round);
      l.set_revises_referral_id("ks-2019-1");
      add("LinkRevision", As(org, "ks", &S::LinkRevision, l));
    }
    return out;
  }

  // KS a sender, Bromma a board, KS's list and its draft round ks-2020-1 to Bromma.
  void KsWithADraft() {
    ASSERT_TRUE(RegisterKs(server_.referrals()).ok());
    ASSERT_TRUE(As("ks", "ks", &ReferralService::Stub::RegisterOrganization, Org("bromma-sdn")).ok());
    CreateDistributionListRequest list;
    list.set_command_id("ks-list");
    list.set_list_id("ks-lista");
    list.set_name("KS lista");
    list.add_member_org_ids("bromma-sdn");
    ASSERT_TRUE(As("ks", "ks", &ReferralService::Stub::CreateDistributionList, list).ok());
    CreateReferralRequest create;
    create.set_command_id("ks-create");
    create.set_case_number("KS 2020/1");
    create.set_title("Stadens remiss");
    create.set_sender_org_id("ks");
    create.add_add_org_ids("bromma-sdn");
    ASSERT_TRUE(As("ks", "ks", &ReferralService::Stub::CreateReferral, create).ok());
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2020, 12, 1, 8, 0, 0), absl::UTCTimeZone())};
  RemissServer server_{dir_.path(), &clock_};
};

TEST_F(SendersGrpcTest, AKsOfAnOrganizationThatMayNotSendRoundsIsRefusedEverythingAndNothingIsRecorded) {
  ASSERT_NO_FATAL_FAILURE(KsWithADraft());
  const ProjectionDigest before = Digest();
  // Bromma is registered but no sender; "evil" is not registered at all.
  for (const std::string org : {"bromma-sdn", "evil"}) {
    for (const auto& [rpc, status] : EveryKsCommandAs(org)) {
      EXPECT_TRUE(DeniedFor(status, org)) << rpc << " as ks of " << org;
    }
  }
  EXPECT_TRUE(DeniedFor(As("evil", "ks", &ReferralService::Stub::RegisterOrganization, Org("evil", true)),
                        "evil"))
      << "once a sender exists, no ks registers itself as one";
  const ProjectionDigest after = Digest();
  EXPECT_EQ(after.ShortDebugString(), before.ShortDebugString()) << "a refusal recorded something";

  // KS's own ks does the same commands (those its round's state allows).
  CommandResult result;
  AttachDocumentRequest doc;
  doc.set_command_id("ks-doc");
  doc.set_referral_id("ks-2020-1");
  doc.mutable_document()->set_id("bilaga-1");
  doc.mutable_document()->set_title("Bilaga");
  doc.mutable_document()->set_uri("diary://KS/2020/1/bilaga-1");
  doc.mutable_document()->set_sha256(std::string(64, 'a'));
  grpc::Status s = As("ks", "ks", &ReferralService::Stub::AttachDocument, doc);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // Other roles are not this rule's business: a board still reads (and the policy table, under
  // mutual TLS, decides what a board may do).
  EXPECT_EQ(Get("bromma-sdn").org_id(), "bromma-sdn");
}

TEST_F(SendersGrpcTest, OnAFreshSystemAKsRegistersOnlyItsOwnOrganizationAsTheFirstSender) {
  using S = ReferralService::Stub;
  // Not another organization, and not its own without may_send_rounds.
  EXPECT_TRUE(DeniedFor(As("ks", "ks", &S::RegisterOrganization, Org("bromma-sdn", true)), "ks"));
  EXPECT_TRUE(DeniedFor(As("ks", "ks", &S::RegisterOrganization,
                           Org("ks", false, ORGANIZATION_KIND_KOMMUNSTYRELSE)),
                        "ks"));
  grpc::Status first =
      As("ks", "ks", &S::RegisterOrganization, Org("ks", true, ORGANIZATION_KIND_KOMMUNSTYRELSE));
  ASSERT_TRUE(first.ok()) << first.error_message();
  EXPECT_TRUE(Get("ks").may_send_rounds());
  // Now there is a sender: a second organization's ks cannot do the same.
  EXPECT_TRUE(DeniedFor(As("region", "ks", &S::RegisterOrganization,
                           Org("region", true, ORGANIZATION_KIND_REGION)),
                        "region"));
  // KS (a sender) registers another sender, whose ks then acts.
  grpc::Status second =
      As("ks", "ks", &S::RegisterOrganization, Org("region", true, ORGANIZATION_KIND_REGION));
  ASSERT_TRUE(second.ok()) << second.error_message();
  grpc::Status acts = As("region", "ks", &S::RegisterOrganization, Org("bromma-sdn"));
  EXPECT_TRUE(acts.ok()) << acts.error_message();
  EXPECT_FALSE(Get("bromma-sdn").may_send_rounds());
}

TEST_F(SendersGrpcTest, TheOperatorRegistersSendersAndAnUpdateKeepsMaySendRoundsUnlessItNamesIt) {
  using S = ReferralService::Stub;
  grpc::Status s = As("drift", "operator", &S::RegisterOrganization,
                      Org("ks", true, ORGANIZATION_KIND_KOMMUNSTYRELSE));
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = As("drift", "operator", &S::RegisterOrganization, Org("bromma-sdn"));
  ASSERT_TRUE(s.ok()) << s.error_message();

  UpdateOrganizationRequest rename;
  rename.set_command_id("rename-ks");
  rename.set_org_id("ks");
  rename.set_name("Kommunstyrelsen i Stockholm");
  rename.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
  s = As("ks", "ks", &S::UpdateOrganization, rename);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Get("ks").name(), "Kommunstyrelsen i Stockholm");
  EXPECT_TRUE(Get("ks").may_send_rounds()) << "an update that does not name it keeps it";

  // The operator makes Bromma a sender, then takes it back; Bromma's ks acts only between.
  UpdateOrganizationRequest bromma;
  bromma.set_command_id("bromma-sends");
  bromma.set_org_id("bromma-sdn");
  bromma.set_name("bromma-sdn");
  bromma.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
  bromma.set_may_send_rounds(true);
  s = As("drift", "operator", &S::UpdateOrganization, bromma);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = As("bromma-sdn", "ks", &S::RegisterOrganization, Org("solna-sdn"));
  EXPECT_TRUE(s.ok()) << s.error_message();
  bromma.set_command_id("bromma-stops");
  bromma.set_may_send_rounds(false);
  s = As("drift", "operator", &S::UpdateOrganization, bromma);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(Get("bromma-sdn").may_send_rounds());
  EXPECT_TRUE(DeniedFor(As("bromma-sdn", "ks", &S::RegisterOrganization, Org("sundbyberg-sdn")),
                        "bromma-sdn"));
}

}  // namespace
}  // namespace remiss
