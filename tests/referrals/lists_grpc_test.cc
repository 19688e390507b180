// Distribution lists, addressing a round from them in one call, and registry mailboxes,
// through a real gRPC server on loopback with real RocksDB stores (referrals, and responses
// following it as remissd runs them).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;

class ListsGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()); }

  grpc::Status Call(auto method, const auto& request, auto* response) {
    auto ctx = remiss::testing::RemissServer::Context();
    return (server_.referrals().*method)(ctx.get(), request, response);
  }
  CommandResult Ok(auto method, const auto& request) {
    CommandResult result;
    grpc::Status s = Call(method, request, &result);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return result;
  }
  // Refused with `code` and a message that starts with `field` + ": "; nothing recorded.
  void Refused(auto method, const auto& request, grpc::StatusCode code, const std::string& field) {
    const ProjectionDigest before = Digest();
    CommandResult result;
    grpc::Status s = Call(method, request, &result);
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    EXPECT_EQ(s.error_message().rfind(field + ": ", 0), 0u)
        << "want \"" << field << ": ...\", got: " << s.error_message();
    EXPECT_EQ(Digest().log_position(), before.log_position());
    EXPECT_EQ(Digest().sha256(), before.sha256());
  }
  void Register(const std::string& id, const std::string& name, OrganizationKind kind,
                const std::string& mailbox = "") {
    RegisterOrganizationRequest r;
    r.set_command_id("register-" + id);
    r.set_org_id(id);
    r.set_name(name);
    r.set_kind(kind);
    r.set_registry_mailbox(mailbox);
    Ok(&ReferralService::Stub::RegisterOrganization, r);
  }
  Organization GetOrg(const std::string& id) {
    GetOrganizationRequest r;
    r.set_org_id(id);
    Organization out;
    grpc::Status s = Call(&ReferralService::Stub::GetOrganization, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  DistributionList GetList(const std::string& id_or_name) {
    GetDistributionListRequest r;
    r.set_list_id(id_or_name);
    DistributionList out;
    grpc::Status s = Call(&ReferralService::Stub::GetDistributionList, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  Referral Get(const std::string& id) {
    GetReferralRequest r;
    r.set_referral_id(id);
    Referral out;
    grpc::Status s = Call(&ReferralService::Stub::GetReferral, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  ProjectionDigest Digest() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    GetProjectionDigestRequest referrals;
    referrals.set_service("referrals");
    ProjectionDigest d;
    EXPECT_TRUE(server_.admin().GetProjectionDigest(&ctx, referrals, &d).ok());
    return d;
  }
  // A state referral's sending: KS and `n` bodies, each with its registry mailbox.
  std::vector<std::string> RegisterBodies(int n) {
    Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE, "registrator@ks.example.se");
    std::vector<std::string> ids;
    for (int i = 1; i <= n; ++i) {
      ids.push_back(absl::StrFormat("instans-%02d", i));
      Register(ids.back(), absl::StrCat("Remissinstans ", i), ORGANIZATION_KIND_MYNDIGHET,
               absl::StrFormat("registrator.%02d@myndighet.example.se", i));
    }
    return ids;
  }
  CommandResult SaveList(const std::string& name, const std::vector<std::string>& members) {
    CreateDistributionListRequest r;
    r.set_command_id("list-" + name);
    r.set_name(name);
    for (const auto& m : members) r.add_member_org_ids(m);
    return Ok(&ReferralService::Stub::CreateDistributionList, r);
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2020, 12, 1, 8, 0, 0), absl::UTCTimeZone())};
  remiss::testing::RemissServer server_{dir_.path(), &clock_, {.referrals = true, .responses = true}};
};

TEST_F(ListsGrpcTest, SeventyTwoBodiesAreAddressedInOneCallFromTwoListsAndAnswerAfterIssue) {
  const std::vector<std::string> ids = RegisterBodies(72);
  SaveList("statliga myndigheter", {ids.begin(), ids.begin() + 40});
  SaveList("Övriga remissinstanser", {ids.begin() + 40, ids.end()});
  EXPECT_EQ(GetList("övriga remissinstanser").list_id(), "ovriga-remissinstanser");

  const ProjectionDigest before = Digest();
  CreateReferralRequest create;
  create.set_command_id("create-n2020");
  create.set_case_number("Fi2020/01234");
  create.set_title("Remiss av betänkandet En ny budgetlag");
  create.set_sender_org_id("ks");
  create.add_distribution_list_ids("statliga-myndigheter");
  create.add_distribution_list_ids("Övriga remissinstanser");  // by its name
  create.add_add_org_ids("ks");
  create.add_remove_org_ids("instans-07");
  CommandResult created = Ok(&ReferralService::Stub::CreateReferral, create);
  // One command: the draft and its 72 addressees (71 from the lists, KS on its own).
  EXPECT_EQ(created.last_position() - created.first_position() + 1, 73u);
  EXPECT_EQ(Digest().log_position(), before.log_position() + 73);

  const Referral round = Get("Fi2020/01234");
  ASSERT_EQ(round.addressees_size(), 72);
  auto events = server_.referrals_module().store().ReadStream("referral/fi2020-01234");
  ASSERT_TRUE(events.ok());
  int from_lists = 0;
  for (const auto& e : *events) {
    if (!e.referrals().has_addressee_added()) continue;
    const auto& added = e.referrals().addressee_added();
    EXPECT_NE(added.addressee().org_id(), "instans-07");
    if (added.addressee().org_id() == "ks") {
      EXPECT_EQ(added.distribution_list_ids_size(), 0);
    } else {
      ASSERT_EQ(added.distribution_list_ids_size(), 1);
      EXPECT_EQ(added.distribution_list_ids(0), added.addressee().org_id() <= "instans-40"
                                                     ? "statliga-myndigheter"
                                                     : "ovriga-remissinstanser");
      ++from_lists;
    }
  }
  EXPECT_EQ(from_lists, 71);

  // A list changed later changes no round: the round recorded the organizations.
  ChangeDistributionListRequest change;
  change.set_command_id("change-1");
  change.set_list_id("statliga-myndigheter");
  change.add_remove_org_ids("instans-01");
  Ok(&ReferralService::Stub::ChangeDistributionList, change);
  EXPECT_EQ(Get("fi2020-01234").addressees_size(), 72);

  // The round is issued; the responses service knows every addressee.
  SetDeadlineRequest deadline;
  deadline.set_command_id("deadline");
  deadline.set_referral_id("fi2020-01234");
  deadline.set_deadline("2021-03-31");
  Ok(&ReferralService::Stub::SetDeadline, deadline);
  IssueReferralRequest issue;
  issue.set_command_id("issue");
  issue.set_referral_id("fi2020-01234");
  Ok(&ReferralService::Stub::IssueReferral, issue);
  ListResponsesForRoundRequest list;
  list.set_referral_id("fi2020-01234");
  list.set_page_size(500);
  int rows = 0;
  for (int attempt = 0; attempt < 200 && rows != 72; ++attempt) {
    auto ctx = remiss::testing::RemissServer::Context();
    ListResponsesResponse got;
    if (server_.responses().ListResponsesForRound(ctx.get(), list, &got).ok()) {
      rows = got.responses_size();
    }
    if (rows != 72) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(rows, 72);

  // Then a list adds bodies to the issued round in one call, and takes one away.
  Register("riksrevisionen", "Riksrevisionen", ORGANIZATION_KIND_MYNDIGHET);
  SaveList("granskande myndigheter", {"riksrevisionen", "instans-07"});
  AddressReferralRequest address;
  address.set_command_id("address-more");
  address.set_referral_id("Fi2020/01234");
  address.add_distribution_list_ids("granskande-myndigheter");
  address.add_remove_org_ids("instans-72");
  address.set_reason("Instansen har upphört.");
  CommandResult more = Ok(&ReferralService::Stub::AddressReferral, address);
  EXPECT_EQ(more.last_position() - more.first_position() + 1, 3u);  // 1 removed, 2 added
  EXPECT_EQ(Get("fi2020-01234").addressees_size(), 73);
}

TEST_F(ListsGrpcTest, ListsAreCreatedChangedReadAndPaged) {
  RegisterBodies(5);
  CommandResult created = SaveList("samtliga stadsdelsnämnder", {"instans-02", "instans-01"});
  EXPECT_EQ(created.id(), "samtliga-stadsdelsnamnder");
  DistributionList list = GetList("samtliga stadsdelsnämnder");
  EXPECT_EQ(list.name(), "samtliga stadsdelsnämnder");
  EXPECT_EQ(std::vector<std::string>(list.member_org_ids().begin(), list.member_org_ids().end()),
            (std::vector<std::string>{"instans-01", "instans-02"}));
  EXPECT_EQ(list.version(), 1u);

  ChangeDistributionListRequest change;
  change.set_command_id("change-1");
  change.set_list_id("samtliga-stadsdelsnamnder");
  change.set_expected_version(1);
  change.set_name("Samtliga stadsdelsnämnder 2021");
  change.add_add_org_ids("instans-03");
  change.add_remove_org_ids("instans-01");
  Ok(&ReferralService::Stub::ChangeDistributionList, change);
  list = GetList("samtliga-stadsdelsnamnder");  // the id stays
  EXPECT_EQ(list.name(), "Samtliga stadsdelsnämnder 2021");
  EXPECT_EQ(list.member_org_ids_size(), 2);
  EXPECT_EQ(list.version(), 2u);

  // A stale expected version is refused and records nothing.
  change.set_command_id("change-2");
  change.clear_add_org_ids();
  change.clear_remove_org_ids();
  change.set_name("Något annat");
  Refused(&ReferralService::Stub::ChangeDistributionList, change, grpc::StatusCode::ABORTED,
          "expected_version");

  SaveList("bolagen", {"instans-04"});
  SaveList("facknämnderna", {"instans-05"});
  ListDistributionListsRequest page;
  page.set_page_size(2);
  std::vector<std::string> seen;
  do {
    ListDistributionListsResponse got;
    auto ctx = remiss::testing::RemissServer::Context();
    ASSERT_TRUE(server_.referrals().ListDistributionLists(ctx.get(), page, &got).ok());
    for (const auto& l : got.distribution_lists()) seen.push_back(l.list_id());
    page.set_page_token(got.next_page_token());
  } while (!page.page_token().empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"bolagen", "facknamnderna", "samtliga-stadsdelsnamnder"}));
}

TEST_F(ListsGrpcTest, BadInputIsRefusedNamingTheFieldAndRecordsNothing) {
  RegisterBodies(3);
  SaveList("bolagen", {"instans-01"});
  CreateDistributionListRequest create;
  create.set_command_id("bad-1");
  create.set_name("Råd\x01listan");
  Refused(&ReferralService::Stub::CreateDistributionList, create,
          grpc::StatusCode::INVALID_ARGUMENT, "name");
  create.set_command_id("bad-2");
  create.set_name("Råden");
  create.add_member_org_ids("instans-01");
  create.add_member_org_ids("okand");
  Refused(&ReferralService::Stub::CreateDistributionList, create, grpc::StatusCode::NOT_FOUND,
          "member_org_ids[1]");
  create.set_command_id("bad-3");
  create.clear_member_org_ids();
  create.set_name("Bolagen");
  Refused(&ReferralService::Stub::CreateDistributionList, create,
          grpc::StatusCode::ALREADY_EXISTS, "list_id");

  CreateReferralRequest round;
  round.set_command_id("round-1");
  round.set_case_number("KS 2021/1");
  round.set_title("Remiss");
  round.set_sender_org_id("ks");
  round.add_distribution_list_ids("bolagen");
  round.add_distribution_list_ids("facknamnderna");
  Refused(&ReferralService::Stub::CreateReferral, round, grpc::StatusCode::NOT_FOUND,
          "distribution_list_ids[1]");
  round.clear_distribution_list_ids();
  round.add_add_org_ids("Instans 1");
  Refused(&ReferralService::Stub::CreateReferral, round, grpc::StatusCode::INVALID_ARGUMENT,
          "add_org_ids[0]");

  AddressReferralRequest address;
  address.set_command_id("address-1");
  address.set_referral_id("KS 2099/1");
  address.add_distribution_list_ids("bolagen");
  Refused(&ReferralService::Stub::AddressReferral, address, grpc::StatusCode::NOT_FOUND,
          "referral_id");

  ChangeDistributionListRequest change;
  change.set_command_id("change-x");
  change.set_list_id("bolagen");
  change.add_remove_org_ids("instans-02");
  Refused(&ReferralService::Stub::ChangeDistributionList, change, grpc::StatusCode::NOT_FOUND,
          "remove_org_ids[0]");

  SetRegistryMailboxRequest mailbox;
  mailbox.set_command_id("mailbox-1");
  mailbox.set_org_id("instans-01");
  mailbox.set_registry_mailbox("registrator@myndighet\x07.se");
  Refused(&ReferralService::Stub::SetRegistryMailbox, mailbox, grpc::StatusCode::INVALID_ARGUMENT,
          "registry_mailbox");
  mailbox.set_command_id("mailbox-2");
  mailbox.set_registry_mailbox("Registrator <registrator@myndighet.se>");
  Refused(&ReferralService::Stub::SetRegistryMailbox, mailbox, grpc::StatusCode::INVALID_ARGUMENT,
          "registry_mailbox");

  GetDistributionListRequest get;
  get.set_list_id("facknämnderna");
  DistributionList none;
  grpc::Status s = Call(&ReferralService::Stub::GetDistributionList, get, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message().rfind("list_id: ", 0), 0u) << s.error_message();

  // A command id used again with other content: ALREADY_EXISTS, nothing recorded.
  create.set_command_id("list-bolagen");
  create.set_name("Bolagen 2");
  Refused(&ReferralService::Stub::CreateDistributionList, create,
          grpc::StatusCode::ALREADY_EXISTS, "command_id");
}

TEST_F(ListsGrpcTest, RegistryMailboxesAreRegisteredChangedAndKeptByUpdates) {
  Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND,
           "registrator.bromma@stockholm.se");
  EXPECT_EQ(GetOrg("bromma-sdn").registry_mailbox(), "registrator.bromma@stockholm.se");

  SetRegistryMailboxRequest set;
  set.set_command_id("mailbox-1");
  set.set_org_id("bromma-sdn");
  set.set_expected_version(1);
  set.set_registry_mailbox("bromma.registrator@stockholm.se");
  Ok(&ReferralService::Stub::SetRegistryMailbox, set);
  EXPECT_EQ(GetOrg("bromma-sdn").registry_mailbox(), "bromma.registrator@stockholm.se");

  UpdateOrganizationRequest update;
  update.set_command_id("update-1");
  update.set_org_id("bromma-sdn");
  update.set_name("Bromma stadsdelsnämnd");
  update.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
  update.set_diary_prefix("BRO");
  Ok(&ReferralService::Stub::UpdateOrganization, update);
  const Organization org = GetOrg("bromma-sdn");
  EXPECT_EQ(org.registry_mailbox(), "bromma.registrator@stockholm.se");
  EXPECT_EQ(org.diary_prefix(), "BRO");

  ListOrganizationsRequest list;
  ListOrganizationsResponse listed;
  auto ctx = remiss::testing::RemissServer::Context();
  ASSERT_TRUE(server_.referrals().ListOrganizations(ctx.get(), list, &listed).ok());
  ASSERT_EQ(listed.organizations_size(), 1);
  EXPECT_EQ(listed.organizations(0).registry_mailbox(), "bromma.registrator@stockholm.se");
}

TEST_F(ListsGrpcTest, RebuildFromTheEventsGivesTheSameProjectionsListsAndMailboxesIncluded) {
  const std::vector<std::string> ids = RegisterBodies(6);
  SaveList("samtliga stadsdelsnämnder", {ids.begin(), ids.begin() + 4});
  ChangeDistributionListRequest change;
  change.set_command_id("change-1");
  change.set_list_id("samtliga stadsdelsnämnder");
  change.add_add_org_ids("instans-05");
  Ok(&ReferralService::Stub::ChangeDistributionList, change);
  SetRegistryMailboxRequest set;
  set.set_command_id("mailbox-1");
  set.set_org_id("instans-06");
  set.set_registry_mailbox("");
  Ok(&ReferralService::Stub::SetRegistryMailbox, set);
  CreateReferralRequest create;
  create.set_command_id("create");
  create.set_case_number("KS 2019/1939");
  create.set_title("Stockholms stads trygghetsprogram 2020-2023");
  create.set_sender_org_id("ks");
  create.add_distribution_list_ids("samtliga-stadsdelsnamnder");
  Ok(&ReferralService::Stub::CreateReferral, create);

  const ProjectionDigest live = Digest();
  server_.Stop();
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(Digest().sha256(), live.sha256());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  RebuildProjectionsRequest all;
  all.set_service("referrals");
  ProjectionDigest rebuilt;
  ASSERT_TRUE(server_.admin().RebuildProjections(&ctx, all, &rebuilt).ok());
  EXPECT_EQ(rebuilt.sha256(), live.sha256());
  EXPECT_EQ(rebuilt.entries(), live.entries());
  EXPECT_EQ(GetList("samtliga-stadsdelsnamnder").member_org_ids_size(), 5);
  EXPECT_EQ(GetOrg("instans-06").registry_mailbox(), "");
  EXPECT_EQ(GetOrg("instans-05").registry_mailbox(), "registrator.05@myndighet.example.se");
}

}  // namespace
}  // namespace remiss
