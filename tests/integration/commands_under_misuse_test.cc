// Commands keep their promises under misuse, through gRPC against a real server (referrals and
// responses in one process, as remissd runs them): reused command ids, missing ids, hostile
// text, invalid UTF-8 on the wire and an oversized statement. A refusal changes nothing.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "remiss/v1/events.grpc.pb.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;
using remiss::testing::RemissServer;

std::unique_ptr<grpc::ClientContext> As(const std::string& org) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx->AddMetadata("x-remiss-org", org);
  ctx->AddMetadata("x-remiss-role", "registrator");
  return ctx;
}

bool HasRawControlCharacter(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

class CommandsUnderMisuseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    for (const char* id : {"ks", "bromma-sdn", "sodermalm-sdn"}) {
      RegisterOrganizationRequest r;
      r.set_command_id(absl::StrCat("org-", id));
      r.set_org_id(id);
      r.set_name(id);
      r.set_kind(std::string(id) == "ks" ? ORGANIZATION_KIND_KOMMUNSTYRELSE
                                          : ORGANIZATION_KIND_STADSDELSNAMND);
      ASSERT_TRUE(Referrals(&ReferralService::Stub::RegisterOrganization, r).ok());
    }
    CreateReferralRequest create;
    create.set_command_id("create");
    create.set_case_number("KS 2019/1939");
    create.set_title("Stockholms stads trygghetsprogram 2020-2023");
    create.set_sender_org_id("ks");
    ASSERT_TRUE(Referrals(&ReferralService::Stub::CreateReferral, create).ok());
    for (const char* org : {"bromma-sdn", "sodermalm-sdn"}) {
      AddAddresseeRequest add;
      add.set_command_id(absl::StrCat("add-", org));
      add.set_referral_id("ks-2019-1939");
      add.set_org_id(org);
      ASSERT_TRUE(Referrals(&ReferralService::Stub::AddAddressee, add).ok());
    }
    SetDeadlineRequest deadline;
    deadline.set_command_id("deadline");
    deadline.set_referral_id("ks-2019-1939");
    deadline.set_deadline("2021-02-26");
    ASSERT_TRUE(Referrals(&ReferralService::Stub::SetDeadline, deadline).ok());
    IssueReferralRequest issue;
    issue.set_command_id("issue");
    issue.set_referral_id("ks-2019-1939");
    ASSERT_TRUE(Referrals(&ReferralService::Stub::IssueReferral, issue).ok());
    for (int i = 0; i < 500 && Answer("sodermalm-sdn").referral_id().empty(); ++i) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_EQ(Answer("sodermalm-sdn").referral_id(), "ks-2019-1939");
  }

  grpc::Status Referrals(auto method, const auto& request, CommandResult* result = nullptr,
                         const std::string& org = "ks") {
    CommandResult ignored;
    return (server_.referrals().*method)(As(org).get(), request, result ? result : &ignored);
  }
  grpc::Status Responses(auto method, const auto& request, CommandResult* result,
                         const std::string& org) {
    return (server_.responses().*method)(As(org).get(), request, result);
  }
  Response Answer(const std::string& org) {
    GetResponseRequest req;
    req.set_referral_id("ks-2019-1939");
    req.set_org_id(org);
    Response out;
    (void)server_.responses().GetResponse(As("ks").get(), req, &out);
    return out;
  }
  RegisterResponseRequest Registration(const std::string& org, const std::string& diary) {
    RegisterResponseRequest r;
    r.set_command_id("1");
    r.set_referral_id("ks-2019-1939");
    r.set_org_id(org);
    r.set_diary_number(diary);
    r.set_registered_on("2020-12-01");
    return r;
  }
  uint64_t Log(const std::string& service) {
    GetPositionsRequest req;
    req.set_service(service);
    Positions out;
    EXPECT_TRUE(server_.admin().GetPositions(As("ks").get(), req, &out).ok());
    return out.services(0).log_position();
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2020, 12, 1, 9, 0, 0), absl::UTCTimeZone())};
  RemissServer server_{dir_.path(), &clock_, {.referrals = true, .responses = true, .brokers = ""}};
};

TEST_F(CommandsUnderMisuseTest, TwoBoardsNumberingTheirCommandsFromOneAreBothRecorded) {
  CommandResult bromma, sodermalm;
  grpc::Status first = Responses(&ResponseService::Stub::RegisterResponse,
                                 Registration("bromma-sdn", "BRO 2020/440"), &bromma, "bromma-sdn");
  ASSERT_TRUE(first.ok()) << first.error_message();
  grpc::Status s = Responses(&ResponseService::Stub::RegisterResponse,
                             Registration("sodermalm-sdn", "SÖ 2020/123"), &sodermalm, "sodermalm-sdn");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(sodermalm.repeated());
  EXPECT_EQ(sodermalm.id(), "ks-2019-1939/sodermalm-sdn");
  EXPECT_NE(sodermalm.stream_id(), bromma.stream_id());
  EXPECT_GT(sodermalm.first_position(), bromma.last_position());
  EXPECT_EQ(Answer("sodermalm-sdn").diary_number(), "SÖ 2020/123");
  EXPECT_EQ(Answer("bromma-sdn").diary_number(), "BRO 2020/440");
}

TEST_F(CommandsUnderMisuseTest, ARetryIsMarkedRepeatedAndAReusedIdWithOtherContentIsRefused) {
  CommandResult first, retry, other;
  ASSERT_TRUE(Responses(&ResponseService::Stub::RegisterResponse,
                        Registration("bromma-sdn", "BRO 2020/440"), &first, "bromma-sdn").ok());
  const uint64_t log = Log("responses");
  ASSERT_TRUE(Responses(&ResponseService::Stub::RegisterResponse,
                        Registration("bromma-sdn", "BRO 2020/440"), &retry, "bromma-sdn").ok());
  EXPECT_TRUE(retry.repeated());
  EXPECT_FALSE(first.repeated());
  EXPECT_EQ(retry.stream_id(), first.stream_id());
  EXPECT_EQ(retry.first_position(), first.first_position());
  EXPECT_EQ(retry.stream_version(), first.stream_version());

  grpc::Status s = Responses(&ResponseService::Stub::RegisterResponse,
                             Registration("bromma-sdn", "BRO 2020/999"), &other, "bromma-sdn");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "command_id: \"1\" was already used"))
      << s.error_message();
  EXPECT_NE(s.error_message().find("RegisterResponse"), std::string::npos) << s.error_message();
  EXPECT_EQ(Log("responses"), log);
  EXPECT_EQ(Answer("bromma-sdn").diary_number(), "BRO 2020/440");
}

TEST_F(CommandsUnderMisuseTest, AnIdReusedAcrossRpcsIsRefusedAndCreatesNothing) {
  CreateReferralRequest create;
  create.set_command_id("org-ks");  // KS's own RegisterOrganization used it
  create.set_case_number("KS 2020/1");
  create.set_title("Ett annat ärende");
  create.set_sender_org_id("ks");
  grpc::Status s = Referrals(&ReferralService::Stub::CreateReferral, create);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_NE(s.error_message().find("RegisterOrganization"), std::string::npos) << s.error_message();
  GetReferralRequest get;
  get.set_referral_id("ks-2020-1");
  Referral out;
  EXPECT_EQ(server_.referrals().GetReferral(As("ks").get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(CommandsUnderMisuseTest, ACommandWithoutACommandIdIsRefused) {
  RegisterResponseRequest r = Registration("bromma-sdn", "BRO 2020/440");
  r.clear_command_id();
  CommandResult result;
  grpc::Status s = Responses(&ResponseService::Stub::RegisterResponse, r, &result, "bromma-sdn");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "command_id: is required")) << s.error_message();
  EXPECT_TRUE(Answer("bromma-sdn").diary_number().empty());
}

TEST_F(CommandsUnderMisuseTest, ControlCharactersInANameAreRefusedAndNeverEchoedRaw) {
  const uint64_t log = Log("referrals");
  for (const std::string name : {std::string("Evil\0board", 10), std::string("Evil\aboard"),
                                 std::string("Evil\x1b]0;pwned\aboard"), std::string("Evil\rboard")}) {
    RegisterOrganizationRequest r;
    r.set_command_id("evil-" + std::to_string(name.size()));
    r.set_org_id("evil");
    r.set_name(name);
    r.set_kind(ORGANIZATION_KIND_EXTERN);
    grpc::Status s = Referrals(&ReferralService::Stub::RegisterOrganization, r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(absl::StartsWith(s.error_message(), "name: ")) << s.error_message();
    EXPECT_FALSE(HasRawControlCharacter(s.error_message())) << s.error_message();
  }
  EXPECT_EQ(Log("referrals"), log);
  // A query's error that names the caller's input escapes it too.
  GetReferralRequest get;
  get.set_referral_id(std::string("no\0such\x1b[2J", 12));
  Referral out;
  grpc::Status s = server_.referrals().GetReferral(As("ks").get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(HasRawControlCharacter(s.error_message())) << s.error_message();
}

// Finding 16: protobuf refuses to parse a proto3 string that is not UTF-8, before any
// handler runs, and gRPC 1.51's callback API (Debian 12's) then answered UNIMPLEMENTED with
// no message, while protobuf wrote a plain-text line into the JSON log. Now the answer is
// INVALID_ARGUMENT naming the field, the log line is JSON, and nothing is recorded.
TEST_F(CommandsUnderMisuseTest, InvalidUtf8OnTheWireIsRefusedAndChangesNothing) {
  // RegisterOrganizationRequest{command_id: "u1", org_id: "x", name: "Bad\xff"}, hand-encoded:
  // a client library that does not check UTF-8 can send this.
  const std::string wire = std::string("\x0a\x02u1\x12\x01x\x1a\x04" "Bad\xff", 14);
  ::testing::internal::CaptureStderr();
  const uint64_t log = Log("referrals");
  grpc::GenericStub stub(server_.channel_ptr());
  grpc::ByteBuffer response;
  grpc::Slice slice(wire);
  grpc::ByteBuffer request(&slice, 1);
  auto ctx = As("ks");
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(ctx.get(), "/remiss.v1.ReferralService/RegisterOrganization", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "name: is not valid UTF-8")) << status.error_message();
  EXPECT_EQ(Log("referrals"), log);
  GetOrganizationRequest get;
  get.set_org_id("x");
  Organization org;
  EXPECT_EQ(server_.referrals().GetOrganization(As("ks").get(), get, &org).error_code(),
            grpc::StatusCode::NOT_FOUND);
  const std::string log_lines = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(absl::StrContains(log_lines, "RegisterOrganizationRequest.name")) << log_lines;
  for (absl::string_view line : absl::StrSplit(log_lines, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"") && absl::EndsWith(line, "}")) << "not a JSON line: " << line;
  }
}

// Finding 10: what a caller puts in `traceparent` and `x-correlation-id` goes into immutable
// events only if it parses (W3C trace context; an id of 1-128 letters, digits and -._:/+=@);
// anything else is dropped, and the command itself still runs.
TEST_F(CommandsUnderMisuseTest, CallMetadataIsKeptInEventsOnlyIfItParses) {
  auto register_with = [&](const std::string& id, const std::string& traceparent, const std::string& correlation) {
    RegisterOrganizationRequest r;
    r.set_command_id(id);
    r.set_org_id(id);
    r.set_name(id);
    r.set_kind(ORGANIZATION_KIND_FACKNAMND);
    auto ctx = As("ks");
    if (!traceparent.empty()) ctx->AddMetadata("traceparent", traceparent);
    if (!correlation.empty()) ctx->AddMetadata("x-correlation-id", correlation);
    CommandResult result;
    grpc::Status s = server_.referrals().RegisterOrganization(ctx.get(), r, &result);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return result.last_position();
  };
  auto envelope_at = [&](uint64_t position) {
    auto stub = EventsService::NewStub(server_.channel_ptr());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    SubscribeRequest req;
    req.set_service("referrals");
    req.set_from_position(position);
    auto reader = stub->Subscribe(&ctx, req);
    SubscribeResponse item;
    EventEnvelope found;
    while (reader->Read(&item)) {
      if (item.has_event() && item.event().position() == position) found = item.event();
    }
    EXPECT_TRUE(reader->Finish().ok());
    return found;
  };
  const std::string good_trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EventEnvelope good = envelope_at(register_with("good-meta", good_trace, "req-2020-12-01:abc.123"));
  EXPECT_EQ(good.traceparent(), good_trace);
  EXPECT_EQ(good.correlation_id(), "req-2020-12-01:abc.123");

  const std::string junk = "<script>alert(1)</script>" + std::string(3000, 'x');
  for (const auto& [trace, correlation] : std::vector<std::pair<std::string, std::string>>{
           {junk, junk},
           {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", std::string(129, 'a')},
           {good_trace + " trailing", "has space"},
           {"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "has\"quote"}}) {
    static int n = 0;
    EventEnvelope e = envelope_at(register_with(absl::StrCat("bad-meta-", ++n), trace, correlation));
    EXPECT_EQ(e.traceparent(), "") << trace;
    EXPECT_EQ(e.correlation_id(), "") << correlation;
    EXPECT_FALSE(e.event_id().empty());
  }
}

TEST_F(CommandsUnderMisuseTest, AStatementOverTheByteBudgetIsRefusedNamingTheField) {
  RecordStatementRequest r;
  r.set_command_id("huge");
  r.set_referral_id("ks-2019-1939");
  r.set_org_id("bromma-sdn");
  CommandResult registered;
  ASSERT_TRUE(Responses(&ResponseService::Stub::RegisterResponse,
                        Registration("bromma-sdn", "BRO 2020/440"), &registered, "bromma-sdn").ok());
  Statement* s = r.mutable_statement();
  s->set_statement_date("2020-12-01");
  s->set_summary("Förvaltningen ställer sig positiv.");
  s->set_standpoint(STANDPOINT_POSITIVE);
  // Every text within its own limit (100,000 characters each, 10,000 per item), together
  // ~1.1 MB: more than an event may hold.
  const std::string page = "Synpunkter pa programmets struktur och uppfoljning. ";
  std::string text;
  while (text.size() < 99'000) text += page;
  text.resize(99'000);
  s->set_summary(text);
  s->set_background(text);
  s->set_preparation(text);
  s->set_views(text + "!");
  for (int i = 0; i < 30; ++i) s->add_proposed_decision(text.substr(0, 10'000));
  for (int i = 0; i < 40; ++i) {
    Remark* remark = s->add_remarks();
    remark->set_topic("struktur");
    remark->set_text(text.substr(0, 10'000));
  }
  const uint64_t log = Log("responses");
  CommandResult result;
  grpc::Status status = Responses(&ResponseService::Stub::RecordStatement, r, &result, "bromma-sdn");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "statement.views: the StatementDrafted"))
      << status.error_message().substr(0, 300);
  EXPECT_EQ(Log("responses"), log);
}

}  // namespace
}  // namespace remiss
