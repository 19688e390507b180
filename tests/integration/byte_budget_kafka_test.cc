// The byte budget from gRPC to the topic, against a real broker: the largest valid command
// of each large kind is recorded AND published (the producer's and the topic's limits sit
// above the store's), and a relay whose event the broker refuses says so in health and
// GetPositions instead of retrying silently.
#include <gtest/gtest.h>

#include "remiss/core/base/byte_budget.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/base/keys.h"
#include "remiss/v1/envelope.pb.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/health.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;
using remiss::testing::RemissServer;
using core::TopicDefinition;

constexpr size_t kText = 99'000;  // within every long text's own limit (100,000 characters)
constexpr size_t kItem = 10'000;  // an item's limit

std::string Text(size_t n) {
  const std::string page = "Synpunkter på programmets struktur och uppföljning. ";
  std::string out;
  while (out.size() < n) out += page;
  out.resize(n);
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  return out;
}

class ByteBudgetKafkaTest : public ::testing::Test {
 protected:
  void StartServer() {
    server_ = std::make_unique<RemissServer>(
        dir_.path(), &clock_,
        remiss::testing::ServerOptions{.referrals = true, .responses = true, .brokers = broker_->bootstrap()});
    ASSERT_TRUE(server_->Start());
  }
  grpc::Status Referrals(auto method, const auto& request, CommandResult* result = nullptr) {
    CommandResult ignored;
    auto ctx = RemissServer::Context();
    return (server_->referrals().*method)(ctx.get(), request, result ? result : &ignored);
  }
  grpc::Status Responses(auto method, const auto& request, CommandResult* result) {
    auto ctx = RemissServer::Context();
    return (server_->responses().*method)(ctx.get(), request, result);
  }
  void IssueRound() {
    for (const char* id : {"ks", "bromma-sdn"}) {
      RegisterOrganizationRequest r;
      r.set_command_id(absl::StrCat("org-", id));
      r.set_org_id(id);
      r.set_name(id);
      r.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
      ASSERT_TRUE(Referrals(&ReferralService::Stub::RegisterOrganization, r).ok());
    }
    CreateReferralRequest create;
    create.set_command_id("create");
    create.set_case_number("KS 2019/1939");
    create.set_title(Text(300));
    create.set_summary(Text(20'000));
    create.set_sender_org_id("ks");
    grpc::Status s = Referrals(&ReferralService::Stub::CreateReferral, create, &created_);
    ASSERT_TRUE(s.ok()) << s.error_message();
    AddAddresseeRequest add;
    add.set_command_id("add");
    add.set_referral_id("ks-2019-1939");
    add.set_org_id("bromma-sdn");
    ASSERT_TRUE(Referrals(&ReferralService::Stub::AddAddressee, add).ok());
    SetDeadlineRequest deadline;
    deadline.set_command_id("deadline");
    deadline.set_referral_id("ks-2019-1939");
    deadline.set_deadline("2021-02-26");
    ASSERT_TRUE(Referrals(&ReferralService::Stub::SetDeadline, deadline).ok());
    IssueReferralRequest issue;
    issue.set_command_id("issue");
    issue.set_referral_id("ks-2019-1939");
    ASSERT_TRUE(Referrals(&ReferralService::Stub::IssueReferral, issue).ok());
    RegisterResponseRequest reg;
    reg.set_command_id("register");
    reg.set_referral_id("ks-2019-1939");
    reg.set_org_id("bromma-sdn");
    reg.set_diary_number("BRO 2020/440");
    reg.set_registered_on("2020-12-01");
    for (int i = 0; i < 500; ++i) {
      CommandResult ignored;
      if (Responses(&ResponseService::Stub::RegisterResponse, reg, &ignored).ok()) return;
      absl::SleepFor(absl::Milliseconds(10));
    }
    FAIL() << "the responses service never heard of the round";
  }
  // Sends `make(n)` for n from 20 down until the server accepts it: every larger one must be
  // refused for its size alone (and changes nothing), so the accepted one is the largest
  // valid command of its kind, to one step of n.
  template <typename Request>
  CommandResult Largest(auto method, const std::function<Request(int)>& make) {
    for (int n = 20; n > 0; --n) {
      CommandResult result;
      grpc::Status s = Responses(method, make(n), &result);
      if (s.ok()) {
        EXPECT_LT(n, 20) << "the largest size tried was accepted: try larger ones";
        return result;
      }
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
      EXPECT_NE(s.error_message().find("bytes an event may have"), std::string::npos) << s.error_message();
    }
    return CommandResult();
  }
  // The envelope at `position` on the source's topic, as a consumer reads it.
  std::optional<EventEnvelope> OnTopic(const std::string& source, uint64_t position) {
    auto messages = remiss::testing::ReadTopic(broker_->bootstrap(), core::TopicFor(source), 1);
    for (absl::Time until = absl::Now() + absl::Seconds(60); absl::Now() < until;) {
      messages = remiss::testing::ReadTopic(broker_->bootstrap(), core::TopicFor(source), 1);
      if (!messages.ok()) return std::nullopt;
      for (const auto& m : *messages) {
        EventEnvelope e;
        if (e.ParseFromString(m.value) && e.position() == position) return e;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    return std::nullopt;
  }

  static TopicDefinition Definition(const std::string& name) {
    for (const TopicDefinition& t : core::BuiltinTopics()) {
      if (t.name == name) return t;
    }
    return {.name = name};
  }
  // The referrals relay's error once it has one, with health NOT_SERVING (60 s at most).
  std::string AwaitRelayError() {
    std::string relay_error;
    for (absl::Time until = absl::Now() + absl::Seconds(60); absl::Now() < until;) {
      auto ctx = RemissServer::Context();
      GetPositionsRequest req;
      req.set_service("referrals");
      Positions positions;
      if (server_->admin().GetPositions(ctx.get(), req, &positions).ok()) {
        relay_error = positions.services(0).relay_error();
      }
      if (!relay_error.empty() &&
          remiss::testing::HealthStatus(server_->channel(), "remiss.v1.ReferralService") == 2) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    return relay_error;
  }

  remiss::testing::KafkaBroker* broker_ = nullptr;
  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2020, 12, 1, 9, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<RemissServer> server_;
  CommandResult created_;
};

TEST_F(ByteBudgetKafkaTest, TheLargestValidCommandsAreRecordedAndPublished) {
  std::string error;
  broker_ = remiss::testing::KafkaBroker::Shared(&error);
  ASSERT_NE(broker_, nullptr) << error;
  StartServer();
  IssueRound();

  // A statement with every long text full and as many remarks as the budget allows.
  CommandResult statement = Largest<RecordStatementRequest>(
      &ResponseService::Stub::RecordStatement, [](int n) {
        RecordStatementRequest r;
        r.set_command_id(absl::StrCat("statement-", n));
        r.set_referral_id("ks-2019-1939");
        r.set_org_id("bromma-sdn");
        Statement* s = r.mutable_statement();
        s->set_statement_date("2020-12-01");
        s->set_standpoint(STANDPOINT_POSITIVE_WITH_REMARKS);
        for (auto* field : {s->mutable_summary(), s->mutable_background(), s->mutable_preparation(),
                            s->mutable_views()}) {
          *field = Text(kText);
        }
        s->add_proposed_decision(Text(kItem));
        for (int i = 0; i < n * 5; ++i) {
          Remark* remark = s->add_remarks();
          remark->set_topic("struktur");
          remark->set_text(Text(kItem));
        }
        return r;
      });
  ASSERT_GT(statement.last_position(), 0u);

  // A board decision with as many full reservations as the budget allows.
  CommandResult decision = Largest<RecordBoardDecisionRequest>(
      &ResponseService::Stub::RecordBoardDecision, [](int n) {
        RecordBoardDecisionRequest r;
        r.set_command_id(absl::StrCat("decision-", n));
        r.set_referral_id("ks-2019-1939");
        r.set_org_id("bromma-sdn");
        BoardDecision* d = r.mutable_decision();
        d->set_meeting_date("2020-12-01");
        d->set_paragraph("§ 5");
        d->set_decision_text(Text(kText));
        d->set_beslutsgang(Text(kText));
        Proposal* p = d->add_proposals();
        p->set_id("forvaltningen");
        p->set_proposed_by("förvaltningen");
        p->set_text(Text(kText));
        d->set_winning_proposal("forvaltningen");
        // Reservations up to their cap (50), then special statements: together past 1 MiB.
        for (int i = 0; i < n * 5; ++i) {
          if (i < 50) {
            Reservation* res = d->add_reservations();
            res->add_parties("S");
            res->add_members("Ledamot");
            res->set_in_favour_of("forvaltningen");
            res->set_text(Text(kItem));
          } else {
            SpecialStatement* st = d->add_special_statements();
            st->add_parties("V");
            st->add_members("Ledamot");
            st->set_text(Text(kItem));
          }
        }
        d->mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
        return r;
      });
  ASSERT_GT(decision.last_position(), 0u);

  for (const auto& [source, position] : std::vector<std::pair<std::string, uint64_t>>{
           {"referrals", created_.last_position()},
           {"responses", statement.last_position()},
           {"responses", decision.last_position()}}) {
    std::optional<EventEnvelope> e = OnTopic(source, position);
    ASSERT_TRUE(e.has_value()) << source << " position " << position << " never reached the topic";
    std::cout << source << " position " << position << ": " << e->type() << ", "
              << e->ByteSizeLong() << " bytes on the topic\n";
    EXPECT_LE(e->ByteSizeLong(), core::kMaxCommandEventBytes);
  }
  auto ctx = RemissServer::Context();
  Positions positions;
  ASSERT_TRUE(server_->admin().GetPositions(ctx.get(), GetPositionsRequest(), &positions).ok());
  for (const auto& s : positions.services()) EXPECT_EQ(s.relay_error(), "") << s.service();
}

TEST_F(ByteBudgetKafkaTest, ATopicWhoseMessageLimitIsBelowTheBudgetIsRefusedAtStart) {
  std::string error;
  broker_ = remiss::testing::KafkaBroker::Shared(&error);
  ASSERT_NE(broker_, nullptr) << error;
  // Someone created the topic with Kafka's default message limit before the service started.
  TopicDefinition small = Definition("remiss.referrals.events.v1");
  small.config["max.message.bytes"] = "1048588";
  ASSERT_TRUE(core::EnsureTopics(broker_->bootstrap(), {small}).ok());
  StartServer();
  const std::string relay_error = AwaitRelayError();
  EXPECT_NE(relay_error.find("max.message.bytes is 1048588 but must be at least 4194304"),
            std::string::npos)
      << relay_error;
  EXPECT_EQ(remiss::testing::HealthStatus(server_->channel(), "remiss.v1.ReferralService"), 2);
}

TEST_F(ByteBudgetKafkaTest, ARelayWhoseEventTheBrokerRefusesSaysSoInHealthAndPositions) {
  std::string error;
  broker_ = remiss::testing::KafkaBroker::Shared(&error);
  ASSERT_NE(broker_, nullptr) << error;
  StartServer();
  RegisterOrganizationRequest r;
  r.set_command_id("small");
  r.set_org_id("ks");
  r.set_name("Kommunstyrelsen");
  r.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
  CommandResult small_result;
  ASSERT_TRUE(Referrals(&ReferralService::Stub::RegisterOrganization, r, &small_result).ok());
  ASSERT_TRUE(OnTopic("referrals", small_result.last_position()).has_value());
  // The relay checked the topic and publishes; now an operator lowers its message limit.
  TopicDefinition small = Definition("remiss.referrals.events.v1");
  small.config["max.message.bytes"] = "4000";
  ASSERT_TRUE(remiss::testing::AlterTopicConfig(broker_->bootstrap(), small.name, small.config).ok());

  CreateReferralRequest create;
  create.set_command_id("big");
  create.set_case_number("KS 2019/1939");
  create.set_title("Stockholms stads trygghetsprogram 2020-2023");
  create.set_summary(Text(20'000));
  create.set_sender_org_id("ks");
  CommandResult big;
  ASSERT_TRUE(Referrals(&ReferralService::Stub::CreateReferral, create, &big).ok());  // recorded

  const std::string relay_error = AwaitRelayError();
  EXPECT_NE(relay_error.find(absl::StrCat("relay: stuck at position ", big.last_position())),
            std::string::npos)
      << relay_error;
  EXPECT_NE(relay_error.find("too large"), std::string::npos) << relay_error;
  EXPECT_EQ(remiss::testing::HealthStatus(server_->channel(), "remiss.v1.ReferralService"), 2)
      << "health should be NOT_SERVING while the relay cannot publish";
  // Commands are still recorded meanwhile: the outbox keeps them for when it can.
  RegisterOrganizationRequest later;
  later.set_command_id("later");
  later.set_org_id("bromma-sdn");
  later.set_name("Bromma stadsdelsnämnd");
  later.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
  EXPECT_TRUE(Referrals(&ReferralService::Stub::RegisterOrganization, later).ok());
}

}  // namespace
}  // namespace remiss
