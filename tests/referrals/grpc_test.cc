// The referrals service through a real gRPC server on loopback: what a KS registrator does,
// and what the server answers to mistakes.
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/health.h"
#include "tests/support/paging.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using ReferralsServer = remiss::testing::RemissServer;
using namespace remiss::v1;

class ReferralsGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()); }

  grpc::Status Call(auto method, const auto& request, auto* response) {
    auto ctx = ReferralsServer::Context();
    return (server_.referrals().*method)(ctx.get(), request, response);
  }
  CommandResult Ok(auto method, const auto& request) {
    CommandResult result;
    grpc::Status s = Call(method, request, &result);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return result;
  }
  void Register(const std::string& id, const std::string& name, OrganizationKind kind,
                const std::string& prefix) {
    RegisterOrganizationRequest r;
    r.set_command_id("register-" + id);
    r.set_org_id(id);
    r.set_name(name);
    r.set_kind(kind);
    r.set_diary_prefix(prefix);
    Ok(&ReferralService::Stub::RegisterOrganization, r);
  }
  // KS 2019/1939 as a draft, with its four boards and the deadline 26 February 2021.
  void DraftTheSafetyProgram() {
    Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE, "KS");
    Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "BRO");
    Register("sodermalm-sdn", "Södermalms stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "SÖ");
    Register("hasselby-vallingby-sdn", "Hässelby-Vällingby stadsdelsnämnd",
             ORGANIZATION_KIND_STADSDELSNAMND, "HV");
    Register("utbildningsnamnden", "Utbildningsnämnden", ORGANIZATION_KIND_FACKNAMND, "UTN");
    CreateReferralRequest create;
    create.set_command_id("create-1939");
    create.set_case_number("KS 2019/1939");
    create.set_title("Stockholms stads trygghetsprogram 2020-2023");
    create.set_summary("Ett program för ökad trygghet i Stockholm.");
    create.set_sender_org_id("ks");
    create.mutable_contact()->set_name("Handläggare på stadsledningskontoret");
    create.mutable_contact()->set_email("registrator@example.org");
    CommandResult created = Ok(&ReferralService::Stub::CreateReferral, create);
    EXPECT_EQ(created.id(), "ks-2019-1939");
    AttachDocumentRequest doc;
    doc.set_command_id("doc-1");
    doc.set_referral_id("ks-2019-1939");
    doc.mutable_document()->set_id("bilaga-1");
    doc.mutable_document()->set_title("Stockholms stads trygghetsprogram 2020-2023");
    doc.mutable_document()->set_uri("diary://KS/2019/1939/bilaga-1");
    doc.mutable_document()->set_sha256(std::string(64, 'a'));
    Ok(&ReferralService::Stub::AttachDocument, doc);
    for (const char* org : {"bromma-sdn", "sodermalm-sdn", "hasselby-vallingby-sdn", "utbildningsnamnden"}) {
      AddAddresseeRequest add;
      add.set_command_id(std::string("add-") + org);
      add.set_referral_id("KS 2019/1939");  // the case number names the round too
      add.set_org_id(org);
      Ok(&ReferralService::Stub::AddAddressee, add);
    }
    SetDeadlineRequest deadline;
    deadline.set_command_id("deadline-1");
    deadline.set_referral_id("ks-2019-1939");
    deadline.set_deadline("2021-02-26");
    Ok(&ReferralService::Stub::SetDeadline, deadline);
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
    ProjectionDigest d;
    EXPECT_TRUE(server_.admin().GetProjectionDigest(&ctx, {}, &d).ok());
    return d;
  }

  remiss::testing::TempDir dir_;
  // 1 December 2020, 09:00 Stockholm time.
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2020, 12, 1, 8, 0, 0), absl::UTCTimeZone())};
  ReferralsServer server_{dir_.path(), &clock_};
};

TEST_F(ReferralsGrpcTest, ARoundGoesFromDraftToIssuedToClosedAndReadsBackWhole) {
  DraftTheSafetyProgram();
  IssueReferralRequest issue;
  issue.set_command_id("issue-1");
  issue.set_referral_id("ks-2019-1939");
  Ok(&ReferralService::Stub::IssueReferral, issue);

  // Named by its case number or its id, the round's events carry its id.
  auto stream = server_.referrals_module().store().ReadStream("referral/ks-2019-1939");
  ASSERT_TRUE(stream.ok());
  int added = 0;
  for (const auto& e : *stream) {
    if (!e.referrals().has_addressee_added()) continue;
    EXPECT_EQ(e.referrals().addressee_added().referral_id(), "ks-2019-1939");
    ++added;
  }
  EXPECT_EQ(added, 4);

  EXPECT_EQ(Get("KS-2019-1939").referral_id(), "ks-2019-1939");  // as remissctl users write it
  Referral r = Get("KS 2019/1939");
  EXPECT_EQ(r.referral_id(), "ks-2019-1939");
  EXPECT_EQ(r.case_number(), "KS 2019/1939");
  EXPECT_EQ(r.title(), "Stockholms stads trygghetsprogram 2020-2023");
  EXPECT_EQ(r.status(), REFERRAL_STATUS_ISSUED);
  EXPECT_EQ(r.deadline(), "2021-02-26");
  EXPECT_EQ(r.sender_org_id(), "ks");
  EXPECT_EQ(r.contact().email(), "registrator@example.org");
  ASSERT_EQ(r.documents_size(), 1);
  EXPECT_EQ(r.documents(0).id(), "bilaga-1");
  ASSERT_EQ(r.addressees_size(), 4);
  EXPECT_EQ(r.addressees(0).org_id(), "bromma-sdn");
  EXPECT_EQ(r.addressees(0).stated_deadline(), "2021-02-26");
  EXPECT_EQ(r.addressees(0).answer(), ANSWER_KIND_REQUIRED);
  EXPECT_EQ(r.issued_at().seconds(), absl::ToUnixSeconds(clock_.Now()));

  // A board sees what it owes.
  ListReferralsForOrganizationRequest mine;
  mine.set_org_id("bromma-sdn");
  ListReferralsForOrganizationResponse owed;
  ASSERT_TRUE(Call(&ReferralService::Stub::ListReferralsForOrganization, mine, &owed).ok());
  ASSERT_EQ(owed.referrals_size(), 1);
  EXPECT_EQ(owed.referrals(0).case_number(), "KS 2019/1939");
  EXPECT_EQ(owed.referrals(0).stated_deadline(), "2021-02-26");

  // KS moves one board's deadline, then closes the round.
  MoveDeadlineRequest move;
  move.set_command_id("move-1");
  move.set_referral_id("ks-2019-1939");
  move.set_org_id("utbildningsnamnden");
  move.set_deadline("2021-03-05");
  move.set_reason("anstånd beviljat");
  Ok(&ReferralService::Stub::MoveDeadline, move);
  EXPECT_EQ(Get("ks-2019-1939").addressees(3).stated_deadline(), "2021-03-05");

  CloseReferralRequest close;
  close.set_command_id("close-1");
  close.set_referral_id("ks-2019-1939");
  Ok(&ReferralService::Stub::CloseReferral, close);
  EXPECT_EQ(Get("ks-2019-1939").status(), REFERRAL_STATUS_CLOSED);
}

TEST_F(ReferralsGrpcTest, BadInputIsRefusedNamingTheFieldAndChangesNothing) {
  DraftTheSafetyProgram();
  const ProjectionDigest before = Digest();

  CreateReferralRequest bad_case;
  bad_case.set_command_id("bad-1");
  bad_case.set_case_number("KS 2019/1939;");
  bad_case.set_title("x");
  bad_case.set_sender_org_id("ks");
  CommandResult result;
  grpc::Status s = Call(&ReferralService::Stub::CreateReferral, bad_case, &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("case_number"), std::string::npos) << s.error_message();

  AddAddresseeRequest unknown;
  unknown.set_command_id("bad-2");
  unknown.set_referral_id("ks-2019-1939");
  unknown.set_org_id("polisen");
  s = Call(&ReferralService::Stub::AddAddressee, unknown, &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("org_id"), std::string::npos) << s.error_message();

  SetDeadlineRequest past;
  past.set_command_id("bad-3");
  past.set_referral_id("ks-2019-1939");
  past.set_deadline("2020-11-30");
  s = Call(&ReferralService::Stub::SetDeadline, past, &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("deadline"), std::string::npos) << s.error_message();

  CloseReferralRequest close_draft;
  close_draft.set_command_id("bad-4");
  close_draft.set_referral_id("ks-2019-1939");
  s = Call(&ReferralService::Stub::CloseReferral, close_draft, &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();

  IssueReferralRequest stale;
  stale.set_command_id("bad-5");
  stale.set_referral_id("ks-2019-1939");
  stale.set_expected_version(1);
  s = Call(&ReferralService::Stub::IssueReferral, stale, &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_NE(s.error_message().find("current version is 7"), std::string::npos) << s.error_message();

  GetReferralRequest missing;
  missing.set_referral_id("ks-1999-1");
  Referral none;
  EXPECT_EQ(Call(&ReferralService::Stub::GetReferral, missing, &none).error_code(),
            grpc::StatusCode::NOT_FOUND);

  EXPECT_EQ(Digest().sha256(), before.sha256());
  EXPECT_EQ(Digest().log_position(), before.log_position());
}

TEST_F(ReferralsGrpcTest, ACaseNumberDifferingOnlyInPunctuationIsRefusedNotMerged) {
  DraftTheSafetyProgram();
  const ProjectionDigest before = Digest();
  for (const char* other : {"KS 2019-1939", "ks 2019/1939", "KS-2019-1939"}) {
    CreateReferralRequest create;
    create.set_command_id(std::string("collide-") + other);
    create.set_case_number(other);
    create.set_title("Ett annat ärende");
    create.set_sender_org_id("ks");
    CommandResult result;
    grpc::Status s = Call(&ReferralService::Stub::CreateReferral, create, &result);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << other;
    EXPECT_EQ(s.error_message().rfind("case_number: ", 0), 0u) << s.error_message();
    EXPECT_NE(s.error_message().find("\"KS 2019/1939\""), std::string::npos) << s.error_message();
  }
  // Nothing recorded, and the round is found by its id and case number as before.
  EXPECT_EQ(Digest().sha256(), before.sha256());
  EXPECT_EQ(Get("ks-2019-1939").case_number(), "KS 2019/1939");
  EXPECT_EQ(Get("KS 2019/1939").title(), "Stockholms stads trygghetsprogram 2020-2023");
}

TEST_F(ReferralsGrpcTest, AMinistrySendsARoundWithItsOwnCaseNumbersAndTheYearFilterFindsIt) {
  Register("fi", "Finansdepartementet", ORGANIZATION_KIND_DEPARTEMENT, "Fi");
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE, "KS");
  Register("region-sthlm", "Region Stockholm", ORGANIZATION_KIND_REGION, "RS");
  Register("msb", "Myndigheten för samhällsskydd och beredskap", ORGANIZATION_KIND_MYNDIGHET, "");
  Register("exergi", "Stockholm Exergi AB", ORGANIZATION_KIND_BOLAG, "");
  Register("pro", "PRO Stockholm", ORGANIZATION_KIND_FORENING, "");
  Register("stiftelse", "Stiftelsen", ORGANIZATION_KIND_OVRIG, "");
  GetOrganizationRequest get_fi;
  get_fi.set_org_id("fi");
  Organization fi;
  ASSERT_TRUE(Call(&ReferralService::Stub::GetOrganization, get_fi, &fi).ok());
  EXPECT_EQ(fi.kind(), ORGANIZATION_KIND_DEPARTEMENT);
  EXPECT_EQ(fi.diary_prefix(), "Fi");

  struct Round {
    const char* case_number;
    const char* sender;
    const char* id;
    int year;
  };
  const Round rounds[] = {{"Fi2020/01234/S3", "fi", "fi2020-01234-s3", 2020},
                          {"N2015/06917/PUB", "fi", "n2015-06917-pub", 2015},
                          {"Dnr 1.2.3-456/2020", "msb", "dnr-1-2-3-456-2020", 2020},
                          {"2019-001939", "region-sthlm", "2019-001939", 2019},
                          {"KS2019/1939", "ks", "ks2019-1939", 2019}};
  for (const Round& round : rounds) {
    CreateReferralRequest create;
    create.set_command_id(std::string("create-") + round.id);
    create.set_case_number(round.case_number);
    create.set_title("Remiss");
    create.set_sender_org_id(round.sender);
    EXPECT_EQ(Ok(&ReferralService::Stub::CreateReferral, create).id(), round.id);
    Referral got = Get(round.case_number);
    EXPECT_EQ(got.referral_id(), round.id);
    EXPECT_EQ(got.case_number(), round.case_number);
    EXPECT_EQ(got.year(), round.year);
  }
  // The ministry addresses the city's KS, which answers rounds as well as sending them.
  AddAddresseeRequest add;
  add.set_command_id("fi-add-ks");
  add.set_referral_id("Fi2020/01234/S3");
  add.set_org_id("ks");
  Ok(&ReferralService::Stub::AddAddressee, add);
  SetDeadlineRequest deadline;
  deadline.set_command_id("fi-deadline");
  deadline.set_referral_id("fi2020-01234-s3");
  deadline.set_deadline("2021-01-29");
  Ok(&ReferralService::Stub::SetDeadline, deadline);
  IssueReferralRequest issue;
  issue.set_command_id("fi-issue");
  issue.set_referral_id("FI2020-01234-S3");
  Ok(&ReferralService::Stub::IssueReferral, issue);
  EXPECT_EQ(Get("fi2020-01234-s3").status(), REFERRAL_STATUS_ISSUED);

  ListReferralsRequest in2020;
  in2020.set_year(2020);
  ListReferralsResponse out;
  ASSERT_TRUE(Call(&ReferralService::Stub::ListReferrals, in2020, &out).ok());
  std::vector<std::string> seen;
  for (const auto& r : out.referrals()) seen.push_back(r.case_number());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"Dnr 1.2.3-456/2020", "Fi2020/01234/S3"}));
}

TEST_F(ReferralsGrpcTest, ARetriedCommandIsRecordedOnce) {
  DraftTheSafetyProgram();
  IssueReferralRequest issue;
  issue.set_command_id("issue-once");
  issue.set_referral_id("ks-2019-1939");
  CommandResult first = Ok(&ReferralService::Stub::IssueReferral, issue);
  CommandResult second = Ok(&ReferralService::Stub::IssueReferral, issue);  // the client retries
  EXPECT_EQ(second.first_position(), first.first_position());
  EXPECT_EQ(second.stream_version(), first.stream_version());
  EXPECT_EQ(Digest().log_position(), first.last_position());
}

TEST_F(ReferralsGrpcTest, ListsRoundsByStatusYearAndSenderInPages) {
  DraftTheSafetyProgram();
  for (int serial = 1; serial <= 5; ++serial) {
    CreateReferralRequest create;
    create.set_command_id("create-2023-" + std::to_string(serial));
    create.set_case_number("KS 2023/" + std::to_string(700 + serial));
    create.set_title("Remiss " + std::to_string(serial));
    create.set_sender_org_id("ks");
    Ok(&ReferralService::Stub::CreateReferral, create);
  }
  ListReferralsRequest page;
  page.set_year(2023);
  page.set_page_size(2);
  std::vector<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    ListReferralsResponse out;
    ASSERT_TRUE(Call(&ReferralService::Stub::ListReferrals, page, &out).ok());
    for (const auto& r : out.referrals()) seen.push_back(r.case_number());
    if (out.next_page_token().empty()) break;
    page.set_page_token(out.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"KS 2023/701", "KS 2023/702", "KS 2023/703",
                                            "KS 2023/704", "KS 2023/705"}));
  ListReferralsRequest drafts2019;
  drafts2019.set_year(2019);
  drafts2019.set_status(REFERRAL_STATUS_DRAFT);
  drafts2019.set_sender_org_id("ks");
  ListReferralsResponse out;
  ASSERT_TRUE(Call(&ReferralService::Stub::ListReferrals, drafts2019, &out).ok());
  ASSERT_EQ(out.referrals_size(), 1);
  EXPECT_EQ(out.referrals(0).case_number(), "KS 2019/1939");

  ListReferralsRequest too_big;
  too_big.set_page_size(100000);
  EXPECT_EQ(Call(&ReferralService::Stub::ListReferrals, too_big, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ReferralsGrpcTest, RestartLosesNothingAndRebuildMatchesTheLiveProjections) {
  DraftTheSafetyProgram();
  IssueReferralRequest issue;
  issue.set_command_id("issue-1");
  issue.set_referral_id("ks-2019-1939");
  Ok(&ReferralService::Stub::IssueReferral, issue);
  const ProjectionDigest live = Digest();
  const Referral before = Get("ks-2019-1939");

  server_.Stop();
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(Get("ks-2019-1939").SerializeAsString(), before.SerializeAsString());
  EXPECT_EQ(Digest().sha256(), live.sha256());

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ProjectionDigest rebuilt;
  ASSERT_TRUE(server_.admin().RebuildProjections(&ctx, {}, &rebuilt).ok());
  EXPECT_EQ(rebuilt.sha256(), live.sha256());
  EXPECT_EQ(rebuilt.entries(), live.entries());
}

TEST_F(ReferralsGrpcTest, RevisionsLinkBothWays) {
  DraftTheSafetyProgram();
  Register("kyrkogardsnamnden", "Kyrkogårdsnämnden", ORGANIZATION_KIND_FACKNAMND, "KYR");
  CreateReferralRequest create;
  create.set_command_id("create-739");
  create.set_case_number("KS 2023/739");
  create.set_title("Stockholms stads trygghetsprogram 2024-2027");
  create.set_sender_org_id("ks");
  Ok(&ReferralService::Stub::CreateReferral, create);
  LinkRevisionRequest link;
  link.set_command_id("link-739");
  link.set_referral_id("ks-2023-739");
  link.set_revises_referral_id("ks-2019-1939");
  Ok(&ReferralService::Stub::LinkRevision, link);
  EXPECT_EQ(Get("ks-2023-739").revises_referral_id(), "ks-2019-1939");
  ASSERT_EQ(Get("ks-2019-1939").revised_by_size(), 1);
  EXPECT_EQ(Get("ks-2019-1939").revised_by(0), "ks-2023-739");
}

TEST_F(ReferralsGrpcTest, HealthAndPositionsAreServed) {
  EXPECT_EQ(remiss::testing::HealthStatus(server_.channel(), ""), 1);  // SERVING
  EXPECT_EQ(remiss::testing::HealthStatus(server_.channel(), "remiss.v1.ReferralService"), 1);
  GetPositionsRequest req;
  Positions positions;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  DraftTheSafetyProgram();
  ASSERT_TRUE(server_.admin().GetPositions(&ctx, req, &positions).ok());
  ASSERT_EQ(positions.services_size(), 1);
  EXPECT_EQ(positions.services(0).service(), "referrals");
  EXPECT_EQ(positions.services(0).log_position(), 12u);  // 5 organizations, 7 round events
  EXPECT_FALSE(positions.services(0).relay_enabled());
}

// ---- paging ----

// The ids on every page, in order, and whether only the last page lacks a token.
template <typename Response, typename Id>
std::vector<std::string> IdsOf(const std::vector<Response>& pages, Id id_of) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(pages[i].next_page_token().empty(), i + 1 == pages.size()) << "page " << i + 1;
    for (const auto& row : id_of(pages[i])) ids.push_back(row);
  }
  return ids;
}

TEST_F(ReferralsGrpcTest, OrganizationsComeInPagesByIdEachOnce) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE, "KS");
  const std::vector<std::string> boards = {"bromma-sdn", "enskede-sdn", "farsta-sdn", "kungsholmen-sdn",
                                           "skarholmen-sdn", "sodermalm-sdn"};
  for (const auto& id : boards) Register(id, id, ORGANIZATION_KIND_STADSDELSNAMND, "SDN");
  Register("utbildningsnamnden", "Utbildningsnämnden", ORGANIZATION_KIND_FACKNAMND, "UTN");
  auto list = [&](const ListOrganizationsRequest& r, ListOrganizationsResponse* out) {
    return Call(&ReferralService::Stub::ListOrganizations, r, out);
  };
  auto ids_of = [](const ListOrganizationsResponse& p) {
    std::vector<std::string> ids;
    for (const auto& o : p.organizations()) ids.push_back(o.org_id());
    return ids;
  };

  std::vector<ListOrganizationsResponse> pages;
  ASSERT_TRUE(remiss::testing::WalkPages(list, ListOrganizationsRequest(), 2, &pages));
  EXPECT_EQ(pages.size(), 4u);
  EXPECT_EQ(IdsOf(pages, ids_of),
            (std::vector<std::string>{"bromma-sdn", "enskede-sdn", "farsta-sdn", "ks", "kungsholmen-sdn",
                                      "skarholmen-sdn", "sodermalm-sdn", "utbildningsnamnden"}));

  // Filtered by kind, the pages hold only that kind, all of it.
  ListOrganizationsRequest districts;
  districts.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
  pages.clear();
  ASSERT_TRUE(remiss::testing::WalkPages(list, districts, 4, &pages));
  EXPECT_EQ(pages.size(), 2u);
  EXPECT_EQ(IdsOf(pages, ids_of), boards);

  // A token goes on only with the filters that gave it.
  districts.set_page_token(pages[0].next_page_token());
  districts.set_kind(ORGANIZATION_KIND_FACKNAMND);
  ListOrganizationsResponse* type = nullptr;
  EXPECT_TRUE(remiss::testing::RefusedNaming(list, districts, type, "page_token: belongs to another query"));
  remiss::testing::ExpectBadPagingRefused<ListOrganizationsResponse>(list, ListOrganizationsRequest());
}

TEST_F(ReferralsGrpcTest, TheRoundsABoardIsAskedInComeInPagesByIdEachOnce) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE, "KS");
  Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "BRO");
  Register("sodermalm-sdn", "Södermalms stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "SÖ");
  for (int serial : {5, 3, 1, 4, 2, 6}) {
    const std::string case_number = "KS 2021/" + std::to_string(serial);
    CreateReferralRequest create;
    create.set_command_id("create-" + case_number);
    create.set_case_number(case_number);
    create.set_title("Remiss " + std::to_string(serial));
    create.set_sender_org_id("ks");
    Ok(&ReferralService::Stub::CreateReferral, create);
    AddAddresseeRequest add;
    add.set_command_id("add-" + case_number);
    add.set_referral_id(case_number);
    add.set_org_id(serial == 6 ? "sodermalm-sdn" : "bromma-sdn");  // the sixth is not Bromma's
    Ok(&ReferralService::Stub::AddAddressee, add);
  }
  auto list = [&](const ListReferralsForOrganizationRequest& r, ListReferralsForOrganizationResponse* out) {
    return Call(&ReferralService::Stub::ListReferralsForOrganization, r, out);
  };
  ListReferralsForOrganizationRequest bromma;
  bromma.set_org_id("bromma-sdn");
  std::vector<ListReferralsForOrganizationResponse> pages;
  ASSERT_TRUE(remiss::testing::WalkPages(list, bromma, 2, &pages));
  EXPECT_EQ(pages.size(), 3u);
  EXPECT_EQ(IdsOf(pages,
                  [](const ListReferralsForOrganizationResponse& p) {
                    std::vector<std::string> ids;
                    for (const auto& r : p.referrals()) ids.push_back(r.referral_id());
                    return ids;
                  }),
            (std::vector<std::string>{"ks-2021-1", "ks-2021-2", "ks-2021-3", "ks-2021-4", "ks-2021-5"}));

  // Bromma's token is not Södermalm's.
  ListReferralsForOrganizationRequest sodermalm;
  sodermalm.set_org_id("sodermalm-sdn");
  sodermalm.set_page_token(pages[0].next_page_token());
  ListReferralsForOrganizationResponse* type = nullptr;
  EXPECT_TRUE(remiss::testing::RefusedNaming(list, sodermalm, type, "page_token: belongs to another query"));
  remiss::testing::ExpectBadPagingRefused<ListReferralsForOrganizationResponse>(list, bromma);
}

TEST_F(ReferralsGrpcTest, RoundsComeFiftyToAPageByDefaultAndBadPagingIsRefused) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE, "KS");
  std::vector<std::string> created;
  for (int serial = 1; serial <= 60; ++serial) {
    CreateReferralRequest create;
    create.set_command_id("create-default-" + std::to_string(serial));
    create.set_case_number("KS 2022/" + std::to_string(1000 + serial));
    create.set_title("Remiss " + std::to_string(serial));
    create.set_sender_org_id("ks");
    created.push_back(Ok(&ReferralService::Stub::CreateReferral, create).id());
  }
  auto list = [&](const ListReferralsRequest& r, ListReferralsResponse* out) {
    return Call(&ReferralService::Stub::ListReferrals, r, out);
  };
  std::vector<ListReferralsResponse> pages;
  ASSERT_TRUE(remiss::testing::WalkPages(list, ListReferralsRequest(), 0, &pages));
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].referrals_size(), 50);
  EXPECT_EQ(pages[1].referrals_size(), 10);
  EXPECT_EQ(IdsOf(pages,
                  [](const ListReferralsResponse& p) {
                    std::vector<std::string> ids;
                    for (const auto& r : p.referrals()) ids.push_back(r.referral_id());
                    return ids;
                  }),
            created);  // created in id order

  ListReferralsRequest other_year;
  other_year.set_year(2021);
  other_year.set_page_token(pages[0].next_page_token());
  ListReferralsResponse* type = nullptr;
  EXPECT_TRUE(remiss::testing::RefusedNaming(list, other_year, type, "page_token: belongs to another query"));
  remiss::testing::ExpectBadPagingRefused<ListReferralsResponse>(list, ListReferralsRequest());
}

}  // namespace
}  // namespace remiss
