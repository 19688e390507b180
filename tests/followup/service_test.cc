// The followup service as remissd runs it (referrals, responses and deadlines beside it,
// followed through LocalFeeds), on a manual clock, through gRPC: an organization's view
// across many rounds comes in pages; what it observes of the other services is recorded in
// its own compact form (FactObserved), and its log alone rebuilds its views, as the old
// whole-envelope copies (SourceEventObserved) did.
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/message_differencer.h"
#include "remiss/core/store/projection.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/core/server/service_host.h"
#include "remiss/deadlines/module.h"
#include "remiss/followup/compilation_pages.h"
#include "remiss/followup/module.h"
#include "remiss/followup/projector.h"
#include "remiss/referrals/module.h"
#include "remiss/responses/module.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tests/fuzz/memory_tx.h"
#include "tests/support/answers.h"
#include "tests/support/paging.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;

class FollowupServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { Stop(); }
  void Start() {
    auto referrals = referrals::ReferralsModule::Open({.data_dir = dir_.path(), .clock = &clock_});
    ASSERT_TRUE(referrals.ok()) << referrals.status();
    referrals_ = std::move(*referrals);
    auto responses = responses::ResponsesModule::Open({.data_dir = dir_.path(), .clock = &clock_},
        std::make_unique<core::LocalFeed>(&referrals_->store()));
    ASSERT_TRUE(responses.ok()) << responses.status();
    responses_ = std::move(*responses);
    auto deadlines = deadlines::DeadlinesModule::Open({.data_dir = dir_.path(), .clock = &clock_},
        std::make_unique<core::LocalFeed>(&responses_->store()));
    ASSERT_TRUE(deadlines.ok()) << deadlines.status();
    deadlines_ = std::move(*deadlines);
    std::vector<std::unique_ptr<core::Feed>> observed;
    observed.push_back(std::make_unique<core::LocalFeed>(&referrals_->store()));
    observed.push_back(std::make_unique<core::LocalFeed>(&responses_->store()));
    observed.push_back(std::make_unique<core::LocalFeed>(&deadlines_->store()));
    auto followup = followup::FollowupModule::Open({.data_dir = dir_.path(), .clock = &clock_}, std::move(observed));
    ASSERT_TRUE(followup.ok()) << followup.status();
    followup_ = std::move(*followup);
    host_ = std::make_unique<core::ServiceHost>("127.0.0.1:0", max_message_bytes_, &clock_);
    referrals_->Host(*host_);
    responses_->Host(*host_);
    deadlines_->Host(*host_);
    followup_->Host(*host_);
    ASSERT_TRUE(host_->Start().ok());
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host_->port()),
                                       grpc::InsecureChannelCredentials());
    referral_stub_ = ReferralService::NewStub(channel);
    followup_stub_ = FollowupService::NewStub(channel);
    response_stub_ = ResponseService::NewStub(channel);
  }
  void Stop() {
    if (host_) host_->Shutdown(absl::Seconds(1));
    host_.reset();
    followup_.reset();  // each reads the stores of those before it
    deadlines_.reset();
    responses_.reset();
    referrals_.reset();
  }

  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", "ks");
    ctx->AddMetadata("x-remiss-role", "registrator");
    return ctx;
  }
  template <typename Request>
  void Ok(grpc::Status (ReferralService::Stub::*method)(grpc::ClientContext*, const Request&, CommandResult*),
          Request request, const std::string& command_id) {
    request.set_command_id(command_id);
    CommandResult result;
    grpc::Status s = (referral_stub_.get()->*method)(Ctx().get(), request, &result);
    ASSERT_TRUE(s.ok()) << command_id << ": " << s.error_message();
  }
  void Register(const std::string& id, const std::string& name, OrganizationKind kind) {
    RegisterOrganizationRequest r;
    r.set_org_id(id);
    r.set_name(name);
    r.set_kind(kind);
    r.set_may_send_rounds(kind == ORGANIZATION_KIND_KOMMUNSTYRELSE);  // KS sends the rounds
    Ok(&ReferralService::Stub::RegisterOrganization, r, "register-" + id);
  }
  // Waits (bounded) until the followup service has heard of the round.
  void AwaitRound(const std::string& referral_id) {
    GetStatusBoardRequest board;
    board.set_referral_id(referral_id);
    StatusBoard seen;
    for (int i = 0; i < 500; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      if (followup_stub_->GetStatusBoard(&ctx, board, &seen).ok()) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_EQ(seen.referral_id(), referral_id) << seen.ShortDebugString();
  }
  // KS's feedback to Bromma on round KS 2021/5, as a ks of `org`.
  grpc::Status FeedbackAs(const std::string& org, const std::string& command_id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("x-remiss-org", org);
    ctx.AddMetadata("x-remiss-role", "ks");
    ctx.AddMetadata("x-remiss-person", org + "-handlaggare-1");
    GiveFeedbackRequest r;
    r.set_command_id(command_id);
    r.set_referral_id("KS 2021/5");
    r.set_org_id("bromma-sdn");
    r.set_text("Tack för ert svar.");
    CommandResult result;
    return followup_stub_->GiveFeedback(&ctx, r, &result);
  }
  // Whether the followup log holds an event of the command `command_id`.
  bool Recorded(const std::string& command_id) {
    auto log = followup_->store().ReadLog(1, 100000);
    EXPECT_TRUE(log.ok()) << log.status();
    if (!log.ok()) return false;
    for (const auto& e : *log) {
      if (e.command_id() == command_id) return true;
    }
    return false;
  }
  void Issue(const std::string& case_number, const std::vector<std::string>& orgs) {
    CreateReferralRequest create;
    create.set_case_number(case_number);
    create.set_title("Remiss " + case_number);
    create.set_sender_org_id("ks");
    Ok(&ReferralService::Stub::CreateReferral, create, "create-" + case_number);
    for (const auto& org : orgs) {
      AddAddresseeRequest add;
      add.set_referral_id(case_number);
      add.set_org_id(org);
      Ok(&ReferralService::Stub::AddAddressee, add, "add-" + case_number + "-" + org);
    }
    SetDeadlineRequest deadline;
    deadline.set_referral_id(case_number);
    deadline.set_deadline("2021-03-31");
    Ok(&ReferralService::Stub::SetDeadline, deadline, "deadline-" + case_number);
    IssueReferralRequest issue;
    issue.set_referral_id(case_number);
    Ok(&ReferralService::Stub::IssueReferral, issue, "issue-" + case_number);
  }
  grpc::Status View(const GetOrganizationViewRequest& r, OrganizationView* out) {
    return followup_stub_->GetOrganizationView(Ctx().get(), r, out);
  }

  int max_message_bytes_ = 4 << 20;  // the host's --max-message-bytes (it sends 4 x that)
  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 8, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<referrals::ReferralsModule> referrals_;
  std::unique_ptr<responses::ResponsesModule> responses_;
  std::unique_ptr<deadlines::DeadlinesModule> deadlines_;
  std::unique_ptr<followup::FollowupModule> followup_;
  std::unique_ptr<core::ServiceHost> host_;
  std::unique_ptr<ReferralService::Stub> referral_stub_;
  std::unique_ptr<FollowupService::Stub> followup_stub_;
  std::unique_ptr<ResponseService::Stub> response_stub_;
};

// Issue 25, finding 5: a round is run by the organization whose caller issued it (responses
// restates it as the terms' owner_org_id); a ks of another organization is refused KS's
// commands on it, recording nothing, and the owner's ks acts.
TEST_F(FollowupServiceTest, AKsActsOnARoundOnlyForTheOrganizationThatIssuedIt) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  Issue("KS 2021/5", {"bromma-sdn"});
  ASSERT_NO_FATAL_FAILURE(AwaitRound("ks-2021-5"));
  auto feedback_as = [&](const std::string& org, const std::string& id) { return FeedbackAs(org, id); };
  const uint64_t before = followup_->store().LastPosition();
  grpc::Status other = feedback_as("region", "feedback-region");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other.error_message();
  EXPECT_NE(other.error_message().find("role ks: round ks-2021-5 is run by organization \"ks\""),
            std::string::npos)
      << other.error_message();
  // The feeds may still record what they observe; nothing of the refused command is kept.
  auto log = followup_->store().ReadLog(before + 1, 1000);
  ASSERT_TRUE(log.ok()) << log.status();
  for (const auto& e : *log) EXPECT_NE(e.command_id(), "feedback-region") << "a refusal recorded " << e.type();
  grpc::Status own = feedback_as("ks", "feedback-ks");
  EXPECT_TRUE(own.ok()) << own.error_message();
}

// Issue 25, finding 5: an organization whose may_send_rounds referrals clears (the operator
// revokes it) no longer acts as ks here either, not even on its own rounds: refused with the
// rule named, nothing recorded; set again, its ks acts again.
TEST_F(FollowupServiceTest, AKsOfAnOrganizationNoLongerAllowedToSendRoundsIsRefused) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  Issue("KS 2021/5", {"bromma-sdn"});
  ASSERT_NO_FATAL_FAILURE(AwaitRound("ks-2021-5"));
  grpc::Status s = FeedbackAs("ks", "feedback-while-a-sender");
  ASSERT_TRUE(s.ok()) << s.error_message();

  // The operator says who may send rounds; followup hears it from referrals.
  auto set_sender = [&](bool may, const std::string& command_id) {
    UpdateOrganizationRequest u;
    u.set_command_id(command_id);
    u.set_org_id("ks");
    u.set_name("Kommunstyrelsen");
    u.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
    u.set_may_send_rounds(may);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("x-remiss-org", "drift");
    ctx.AddMetadata("x-remiss-role", "operator");
    CommandResult result;
    grpc::Status st = referral_stub_->UpdateOrganization(&ctx, u, &result);
    ASSERT_TRUE(st.ok()) << st.error_message();
    const std::string source_event = absl::StrCat("referrals-", result.last_position());
    for (int i = 0; i < 500; ++i) {  // until followup has observed it
      auto log = followup_->store().ReadLog(1, 100000);
      ASSERT_TRUE(log.ok()) << log.status();
      for (const auto& e : *log) {
        if (e.causation_id() == source_event) return;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    FAIL() << "followup never observed " << source_event;
  };
  ASSERT_NO_FATAL_FAILURE(set_sender(false, "ks-may-not-send"));
  s = FeedbackAs("ks", "feedback-revoked");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_NE(s.error_message().find("role ks: organization \"ks\" may not send rounds"), std::string::npos)
      << s.error_message();
  EXPECT_FALSE(Recorded("feedback-revoked"));

  ASSERT_NO_FATAL_FAILURE(set_sender(true, "ks-may-send-again"));
  s = FeedbackAs("ks", "feedback-a-sender-again");
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(Recorded("feedback-a-sender-again"));
}

// A store whose organizations an earlier build folded without may_send_rounds (every one
// would read as not a sender, and every ks be refused) is rebuilt at start.
TEST_F(FollowupServiceTest, AStoreFromABuildWithoutSendersInItsOrganizationsIsRebuiltAtStart) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  Issue("KS 2021/5", {"bromma-sdn"});
  ASSERT_NO_FATAL_FAILURE(AwaitRound("ks-2021-5"));
  Stop();
  {  // As an earlier build left it: the organization without may_send_rounds, no layout mark.
    auto store = core::EventStore::Open({.path = dir_.Sub("followup"), .source = "followup", .clock = &clock_});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Execute({}, [](core::Tx& tx) {
                           auto org = core::LoadMessage<Organization>(tx, "org/ks");
                           EXPECT_TRUE(org && org->may_send_rounds());
                           if (!org) return absl::OkStatus();
                           org->clear_may_send_rounds();
                           tx.Put("org/ks", org->SerializeAsString());
                           return absl::OkStatus();
                         }).ok());
    ASSERT_TRUE((*store)->PutMeta("followup/projection-layout", "1").ok());
  }
  Start();
  grpc::Status s = FeedbackAs("ks", "feedback-after-the-upgrade");
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(FollowupServiceTest, AnOrganizationsViewComesInPagesOfRoundsEachOnceByCaseNumber) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  Register("sodermalm-sdn", "Södermalms stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  for (const char* case_number : {"KS 2021/30", "KS 2020/7", "KS 2021/4", "KS 2019/1939", "KS 2021/300"}) {
    Issue(case_number, {"bromma-sdn"});
  }
  Issue("KS 2021/5", {"sodermalm-sdn"});
  GetOrganizationViewRequest bromma;
  bromma.set_org_id("bromma-sdn");
  OrganizationView whole;
  for (int i = 0; i < 500; ++i) {  // until the followup service has heard of all five
    if (View(bromma, &whole).ok() && whole.items_size() == 5) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(whole.items_size(), 5) << whole.ShortDebugString();
  EXPECT_TRUE(whole.next_page_token().empty());

  auto view = [&](const GetOrganizationViewRequest& r, OrganizationView* out) { return View(r, out); };
  std::vector<OrganizationView> pages;
  ASSERT_TRUE(remiss::testing::WalkPages(view, bromma, 2, &pages));
  ASSERT_EQ(pages.size(), 3u);
  std::vector<std::string> cases;
  for (size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(pages[i].org_id(), "bromma-sdn");
    EXPECT_EQ(pages[i].org_name(), "Bromma stadsdelsnämnd");
    EXPECT_EQ(pages[i].next_page_token().empty(), i + 1 == pages.size());
    for (const auto& item : pages[i].items()) cases.push_back(item.case_number());
  }
  EXPECT_EQ(cases, (std::vector<std::string>{"KS 2019/1939", "KS 2020/7", "KS 2021/30", "KS 2021/300",
                                             "KS 2021/4"}));
  std::vector<std::string> whole_cases;
  for (const auto& item : whole.items()) whole_cases.push_back(item.case_number());
  EXPECT_EQ(whole_cases, cases);

  remiss::testing::ExpectBadPagingRefused<OrganizationView>(view, bromma);
  GetOrganizationViewRequest sodermalm;
  sodermalm.set_org_id("sodermalm-sdn");
  sodermalm.set_page_token(pages[0].next_page_token());
  OrganizationView* type = nullptr;
  EXPECT_TRUE(remiss::testing::RefusedNaming(view, sodermalm, type, "page_token: belongs to another query"));

  GetOrganizationViewRequest unknown;
  unknown.set_org_id("no-such-board");
  OrganizationView out;
  EXPECT_EQ(View(unknown, &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A store's whole log (a named value: a range-for over *ReadLog() would outlive its result).
std::vector<EventEnvelope> LogOf(core::EventStore& store) {
  auto log = store.ReadLog(1, 100000);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? std::move(*log) : std::vector<EventEnvelope>();
}

// Whether followup has applied every event of every source (its feed cursors at their heads).
bool CaughtUp(core::EventStore& followup, const std::vector<core::EventStore*>& sources) {
  for (core::EventStore* source : sources) {
    auto cursor = followup.GetFeedCursor(source->source(), 0);
    if (!cursor || cursor->position < source->LastPosition()) return false;
  }
  return true;
}

TEST_F(FollowupServiceTest, ObservedFactsAreCompactOwnRecordsAndTheLogAloneRebuildsTheViews) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  Register("sodermalm-sdn", "Södermalms stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  Issue("KS 2019/1939", {"bromma-sdn", "sodermalm-sdn"});
  std::vector<core::EventStore*> sources = {&referrals_->store(), &responses_->store(),
                                            &deadlines_->store()};
  for (int i = 0; i < 500 && !CaughtUp(followup_->store(), sources); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  RegisterResponseRequest registered;
  registered.set_command_id("bromma-registers");
  registered.set_referral_id("KS 2019/1939");
  registered.set_org_id("bromma-sdn");
  registered.set_diary_number("BRO 2021/1");
  registered.set_registered_on("2021-02-01");
  CommandResult result;
  ASSERT_TRUE(response_stub_->RegisterResponse(Ctx().get(), registered, &result).ok());
  // Past the deadline (2021-03-31): reminders before it and the day after, and breaches.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2021, 4, 2, 10, 0, 0), absl::UTCTimeZone()));
  bool breached = false;
  for (int i = 0; i < 1500 && !(breached && CaughtUp(followup_->store(), sources)); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    breached = false;
    for (const auto& e : LogOf(deadlines_->store())) breached |= e.deadlines().has_deadline_breached();
  }
  std::string deadline_types;
  for (const auto& e : LogOf(deadlines_->store())) absl::StrAppend(&deadline_types, e.type(), " ");
  EXPECT_TRUE(breached) << deadline_types;
  ASSERT_TRUE(CaughtUp(followup_->store(), sources));

  // Every observed fact is followup's own FactObserved: the source's fact as it was recorded
  // there (payload, position, stream version, recorded_at, key), without its envelope.
  auto log = followup_->store().ReadLog(1, 100000);
  ASSERT_TRUE(log.ok()) << log.status();
  std::map<std::string, int> observed;  // by source
  bool reminders_at_source = false;
  for (const auto& e : LogOf(deadlines_->store())) reminders_at_source |= e.deadlines().has_reminder_issued();
  EXPECT_TRUE(reminders_at_source) << "the scenario should have issued reminders";
  for (const EventEnvelope& own : *log) {
    ASSERT_TRUE(own.has_followup()) << own.ShortDebugString();
    EXPECT_FALSE(own.followup().has_source_event_observed()) << "a whole-envelope copy";
    if (!own.followup().has_fact_observed()) continue;
    const FactObserved& fact = own.followup().fact_observed();
    core::EventStore* source = nullptr;
    for (core::EventStore* s : sources) {
      if (s->source() == fact.source()) source = s;
    }
    ASSERT_NE(source, nullptr) << fact.source();
    auto original = source->ReadLog(fact.position(), 1);
    ASSERT_TRUE(original.ok() && original->size() == 1u);
    const EventEnvelope& o = original->front();
    ++observed[fact.source()];
    EXPECT_EQ(o.position(), fact.position());
    EXPECT_EQ(o.stream_version(), fact.stream_version());
    EXPECT_EQ(core::RecordedAt(o), core::FromTimestamp(fact.recorded_at()));
    EXPECT_EQ(own.partition_key(), o.partition_key());
    EXPECT_EQ(own.causation_id(), o.event_id());
    EXPECT_EQ(own.consumed().position(), o.position());
    const google::protobuf::Message* fact_payload =
        fact.has_referrals() ? static_cast<const google::protobuf::Message*>(&fact.referrals())
        : fact.has_responses() ? static_cast<const google::protobuf::Message*>(&fact.responses())
                               : static_cast<const google::protobuf::Message*>(&fact.deadlines());
    const google::protobuf::Message* original_payload =
        o.has_referrals() ? static_cast<const google::protobuf::Message*>(&o.referrals())
        : o.has_responses() ? static_cast<const google::protobuf::Message*>(&o.responses())
                            : static_cast<const google::protobuf::Message*>(&o.deadlines());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*fact_payload, *original_payload))
        << fact.ShortDebugString() << "\nvs " << o.ShortDebugString();
    EXPECT_FALSE(fact.has_deadlines() && fact.deadlines().has_reminder_issued()) << "reminders are not observed";
    EXPECT_LT(fact.ByteSizeLong(), o.ByteSizeLong()) << "not more compact than the source's envelope";
  }
  EXPECT_EQ(observed["referrals"], 3);  // the three organizations
  EXPECT_GT(observed["responses"], 1);  // the terms, Bromma's registration
  EXPECT_GT(observed["deadlines"], 2);  // two deadlines scheduled, breaches

  // The log alone rebuilds the views.
  const core::Digest live = followup_->store().ProjectionDigest();
  auto rebuilt = followup_->store().RebuildProjections();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->sha256, live.sha256);
  EXPECT_EQ(rebuilt->entries, live.entries);

  // A log of the old form (each FactObserved as the whole source envelope copied) folds to
  // the very same projections: logs recorded before FactObserved keep their views.
  followup::FollowupProjector projector;
  fuzz::MemoryTx compact, copies;
  size_t rows = 0;
  for (const EventEnvelope& own : *log) {
    ASSERT_TRUE(projector.Apply(own, compact).ok());
    EventEnvelope old = own;
    if (own.followup().has_fact_observed()) {
      const FactObserved& fact = own.followup().fact_observed();
      core::EventStore* source = fact.source() == "referrals"   ? &referrals_->store()
                                 : fact.source() == "responses" ? &responses_->store()
                                                                : &deadlines_->store();
      auto original = source->ReadLog(fact.position(), 1);
      auto* copy = old.mutable_followup()->mutable_source_event_observed();
      copy->set_event(original->front().SerializeAsString());
      copy->set_source(fact.source());
      copy->set_position(fact.position());
    }
    ASSERT_TRUE(projector.Apply(old, copies).ok());
  }
  compact.Scan("", [&](absl::string_view key, absl::string_view value) {
    ++rows;
    EXPECT_EQ(copies.Get(key), std::optional<std::string>(std::string(value))) << key;
    return true;
  });
  copies.Scan("", [&](absl::string_view key, absl::string_view) {
    EXPECT_TRUE(compact.Get(key).has_value()) << key;
    return true;
  });
  EXPECT_GT(rows, 5u);
}

}  // namespace
}  // namespace remiss

namespace remiss {
namespace {

// KS chases the bodies that have not answered at their registry mailboxes: the board's
// "ej inkommit" list gives each one's mailbox, as registered or changed since.
TEST_F(FollowupServiceTest, TheBoardsNotAnsweredListGivesEachBodysRegistryMailbox) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  RegisterOrganizationRequest bromma;
  bromma.set_org_id("bromma-sdn");
  bromma.set_name("Bromma stadsdelsnämnd");
  bromma.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
  bromma.set_registry_mailbox("registrator.bromma@stockholm.se");
  Ok(&ReferralService::Stub::RegisterOrganization, bromma, "register-bromma");
  Register("sodermalm-sdn", "Södermalms stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  CreateDistributionListRequest list;
  list.set_name("samtliga stadsdelsnämnder");
  list.add_member_org_ids("bromma-sdn");
  list.add_member_org_ids("sodermalm-sdn");
  Ok(&ReferralService::Stub::CreateDistributionList, list, "list-sdn");
  CreateReferralRequest create;
  create.set_case_number("KS 2021/100");
  create.set_title("Remiss från sändlista");
  create.set_sender_org_id("ks");
  create.add_distribution_list_ids("samtliga stadsdelsnämnder");
  Ok(&ReferralService::Stub::CreateReferral, create, "create");
  SetDeadlineRequest deadline;
  deadline.set_referral_id("ks-2021-100");
  deadline.set_deadline("2021-03-31");
  Ok(&ReferralService::Stub::SetDeadline, deadline, "deadline");
  IssueReferralRequest issue;
  issue.set_referral_id("ks-2021-100");
  Ok(&ReferralService::Stub::IssueReferral, issue, "issue");
  SetRegistryMailboxRequest mailbox;
  mailbox.set_org_id("sodermalm-sdn");
  mailbox.set_registry_mailbox("registrator.sodermalm@stockholm.se");
  Ok(&ReferralService::Stub::SetRegistryMailbox, mailbox, "mailbox-sodermalm");

  GetStatusBoardRequest get;
  get.set_referral_id("ks-2021-100");
  StatusBoard board;
  for (int attempt = 0; attempt < 200; ++attempt) {
    board.Clear();
    if (followup_stub_->GetStatusBoard(Ctx().get(), get, &board).ok() &&
        board.not_answered_bodies_size() == 2 &&
        !board.not_answered_bodies(1).registry_mailbox().empty()) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(board.not_answered_bodies_size(), 2) << board.ShortDebugString();
  EXPECT_EQ(board.not_answered_bodies(0).org_id(), "bromma-sdn");
  EXPECT_EQ(board.not_answered_bodies(0).org_name(), "Bromma stadsdelsnämnd");
  EXPECT_EQ(board.not_answered_bodies(0).registry_mailbox(), "registrator.bromma@stockholm.se");
  EXPECT_EQ(board.not_answered_bodies(0).effective_deadline(), "2021-03-31");
  EXPECT_EQ(board.not_answered_bodies(1).registry_mailbox(), "registrator.sodermalm@stockholm.se");
  ASSERT_EQ(board.rows_size(), 2);
  EXPECT_EQ(board.rows(0).registry_mailbox(), "registrator.bromma@stockholm.se");
}

}  // namespace
}  // namespace remiss

namespace remiss {
namespace {

// The services with --max-message-bytes 64 KiB: they send at most 256 KiB, so a round of
// eight boards with 40 KB of remarks each has a compilation over the send limit.
class FollowupSmallSendLimitTest : public FollowupServiceTest {
 protected:
  FollowupSmallSendLimitTest() { max_message_bytes_ = 64 << 10; }
  static constexpr size_t kSendLimit = 4 * (64 << 10);

  grpc::Status Page(const GetCompilationPageRequest& r, CompilationPage* out) {
    return followup_stub_->GetCompilationPage(Ctx().get(), r, out);
  }
};

// Issue 25, finding 3: eight boards' answers make the round's compilation larger than what
// the server may send. GetCompilation says so (RESOURCE_EXHAUSTED naming GetCompilationPage,
// not gRPC's generic failure), and GetCompilationPage gives it by board: every page under the
// send limit, every board's answer and remarks exactly once, the counts on every page; the
// pages appended (AppendCompilationPage) are the whole; a frozen version pages the same way.
TEST_F(FollowupSmallSendLimitTest, ACompilationOverTheSendLimitIsReadByBoardInPagesUnderIt) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  std::vector<std::string> boards;
  for (int i = 1; i <= 8; ++i) {
    boards.push_back(absl::StrCat("namnd-0", i));
    Register(boards.back(), absl::StrCat("Nämnd ", i), ORGANIZATION_KIND_FACKNAMND);
  }
  Issue("KS 2021/7", boards);
  ASSERT_NO_FATAL_FAILURE(AwaitRound("ks-2021-7"));
  for (size_t i = 0; i < boards.size(); ++i) {
    ASSERT_NO_FATAL_FAILURE(remiss::testing::SubmitAnswerWithRemarks(*response_stub_, "ks-2021-7", boards[i], 20000,
                                                                     static_cast<char>('a' + i)));
  }
  GetStatusBoardRequest board_request;
  board_request.set_referral_id("ks-2021-7");
  for (int i = 0; i < 500; ++i) {  // until followup has heard every submission
    StatusBoard board;
    ASSERT_TRUE(followup_stub_->GetStatusBoard(Ctx().get(), board_request, &board).ok());
    if (board.not_answered().empty()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }

  GetCompilationRequest whole_request;
  whole_request.set_referral_id("KS 2021/7");
  CompilationView view;
  grpc::Status s = followup_stub_->GetCompilation(Ctx().get(), whole_request, &view);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("read it by board with GetCompilationPage"), std::string::npos)
      << s.error_message();

  auto read_version = [&](uint32_t version, std::vector<CompilationPage>* pages) {
    GetCompilationPageRequest r;
    r.set_referral_id("KS 2021/7");
    r.set_version(version);
    auto call = [&](const GetCompilationPageRequest& q, CompilationPage* out) { return Page(q, out); };
    return remiss::testing::WalkPages(call, r, 0, pages);
  };
  std::vector<CompilationPage> pages;
  ASSERT_TRUE(read_version(0, &pages));
  EXPECT_GT(pages.size(), 1u);
  Compilation merged;
  std::map<std::string, int> answers, remarks;  // by org id
  size_t total = 0;
  for (const CompilationPage& page : pages) {
    EXPECT_LT(page.ByteSizeLong(), kSendLimit);
    total += page.ByteSizeLong();
    const auto& counts = page.compilation().standpoints();
    EXPECT_EQ(counts.count("STANDPOINT_POSITIVE_WITH_REMARKS") ? counts.at("STANDPOINT_POSITIVE_WITH_REMARKS") : 0, 8);
    EXPECT_TRUE(page.compilation().not_answered().empty());
    EXPECT_EQ(page.compilation().case_number(), "KS 2021/7");
    for (const auto& a : page.compilation().answers()) ++answers[a.org_id()];
    for (const auto& t : page.compilation().remarks_by_topic()) {
      for (const auto& rm : t.remarks()) {
        ++remarks[rm.org_id()];
        EXPECT_EQ(rm.text().size(), rm.org_id().size() + 2 + 20000);
        EXPECT_TRUE(absl::StartsWith(rm.text(), rm.org_id() + ": ")) << t.topic();
      }
    }
    followup::AppendCompilationPage(&merged, page.compilation());
  }
  EXPECT_GT(total, kSendLimit);
  for (const std::string& org : boards) {
    EXPECT_EQ(answers[org], 1) << org;
    EXPECT_EQ(remarks[org], 2) << org;
  }
  EXPECT_EQ(answers.size(), 8u);
  ASSERT_EQ(merged.answers_size(), 8);
  ASSERT_EQ(merged.remarks_by_topic_size(), 9);  // "trygghet" and one of each board's own
  EXPECT_EQ(merged.remarks_by_topic(8).topic(), "trygghet");
  EXPECT_EQ(merged.remarks_by_topic(8).remarks_size(), 8);

  // A page of two boards, and the bad requests, refused naming the field.
  std::vector<CompilationPage> small;
  GetCompilationPageRequest r;
  r.set_referral_id("ks-2021-7");
  auto call = [&](const GetCompilationPageRequest& q, CompilationPage* out) { return Page(q, out); };
  ASSERT_TRUE(remiss::testing::WalkPages(call, r, 2, &small));
  EXPECT_EQ(small.size(), 4u);
  remiss::testing::ExpectBadPagingRefused<CompilationPage>(call, r);
  GetCompilationPageRequest no_round;
  CompilationPage* type = nullptr;
  EXPECT_TRUE(remiss::testing::RefusedNaming(call, no_round, type, "referral_id: is required"));

  // Frozen: the version's note and every version listed on every page; the same compilation.
  FreezeCompilationRequest freeze;
  freeze.set_command_id("freeze-1");
  freeze.set_referral_id("ks-2021-7");
  freeze.set_note("Till KS beredning");
  CommandResult result;
  s = followup_stub_->FreezeCompilation(Ctx().get(), freeze, &result);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<CompilationPage> frozen;
  ASSERT_TRUE(read_version(1, &frozen));
  Compilation frozen_merged;
  for (const CompilationPage& page : frozen) {
    EXPECT_EQ(page.version(), 1u);
    EXPECT_EQ(page.note(), "Till KS beredning");
    ASSERT_EQ(page.frozen_versions_size(), 1);
    EXPECT_EQ(page.frozen_versions(0).note(), "Till KS beredning");
    followup::AppendCompilationPage(&frozen_merged, page.compilation());
  }
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(frozen_merged, merged));
  r.set_version(2);
  CompilationPage out;
  s = Page(r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "version: round ks-2021-7 has no frozen version 2"))
      << s.error_message();
  // A token of the live version does not continue the frozen one.
  r.set_version(1);
  r.set_page_token(pages[0].next_page_token());
  EXPECT_TRUE(remiss::testing::RefusedNaming(call, r, type, "page_token: belongs to another query"));
}

}  // namespace
}  // namespace remiss

namespace remiss {
namespace {

// A round under the send limit: GetCompilation answers it whole as before, and its pages
// (one board each) appended are the same compilation, live and frozen.
TEST_F(FollowupServiceTest, ASmallRoundsPagesAppendedAreWhatGetCompilationGives) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  const std::vector<std::string> boards = {"namnd-01", "namnd-02", "namnd-03"};
  for (const std::string& b : boards) Register(b, "Nämnden " + b, ORGANIZATION_KIND_FACKNAMND);
  Issue("KS 2021/7", {"namnd-01", "namnd-02", "namnd-03"});
  ASSERT_NO_FATAL_FAILURE(AwaitRound("ks-2021-7"));
  for (size_t i = 0; i < 2; ++i) {  // namnd-03 does not answer
    ASSERT_NO_FATAL_FAILURE(remiss::testing::SubmitAnswerWithRemarks(*response_stub_, "ks-2021-7", boards[i], 100,
                                                                     static_cast<char>('a' + i)));
  }
  FreezeCompilationRequest freeze;
  GetCompilationRequest get;
  get.set_referral_id("ks-2021-7");
  CompilationView view;
  for (int i = 0; i < 500; ++i) {  // until followup has heard both answers
    view.Clear();
    ASSERT_TRUE(followup_stub_->GetCompilation(Ctx().get(), get, &view).ok());
    if (view.live().answers_size() == 2) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(view.live().answers_size(), 2);
  freeze.set_command_id("freeze-1");
  freeze.set_referral_id("ks-2021-7");
  freeze.set_note("Till KS beredning");
  CommandResult result;
  ASSERT_TRUE(followup_stub_->FreezeCompilation(Ctx().get(), freeze, &result).ok());
  view.Clear();
  ASSERT_TRUE(followup_stub_->GetCompilation(Ctx().get(), get, &view).ok());
  ASSERT_EQ(view.frozen_size(), 1);

  auto call = [&](const GetCompilationPageRequest& q, CompilationPage* out) {
    return followup_stub_->GetCompilationPage(Ctx().get(), q, out);
  };
  for (uint32_t version : {0u, 1u}) {
    GetCompilationPageRequest r;
    r.set_referral_id("KS 2021/7");
    r.set_version(version);
    std::vector<CompilationPage> pages;
    ASSERT_TRUE(remiss::testing::WalkPages(call, r, 1, &pages));
    EXPECT_EQ(pages.size(), 2u) << version;
    Compilation merged;
    for (const CompilationPage& page : pages) {
      EXPECT_EQ(page.compilation().answers_size(), 1);
      EXPECT_EQ(page.compilation().not_answered_size(), 1);
      followup::AppendCompilationPage(&merged, page.compilation());
    }
    const Compilation& want = version == 0 ? view.live() : view.frozen(0).compilation();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(merged, want))
        << "version " << version << ":\n" << merged.ShortDebugString() << "\nwant\n" << want.ShortDebugString();
  }
  GetCompilationPageRequest unknown;
  unknown.set_referral_id("KS 2099/1");
  CompilationPage out;
  grpc::Status s = call(unknown, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "referral_id: ")) << s.error_message();
}

}  // namespace
}  // namespace remiss
