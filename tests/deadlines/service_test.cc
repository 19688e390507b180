// The deadlines service as it runs: its module (store, feed consumer, scheduler, gRPC) on a
// manual clock, fed by a responses event log the test writes to as the responses service
// would, through a LocalFeed the test can hold back. Extensions, reminders, breaches, late
// answers, boards at risk, a lagging feed and restarts across due instants.
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/core/server/service_host.h"
#include "remiss/deadlines/module.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "tests/support/paging.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;

absl::Time Stockholm(int y, int m, int d, int hh = 12, int mm = 0) {
  static const absl::TimeZone zone = [] {
    absl::TimeZone z;
    absl::LoadTimeZone("Europe/Stockholm", &z);
    return z;
  }();
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), zone);
}

// A LocalFeed whose deliveries wait while the gate is closed: a responses feed lagging.
class GatedFeed final : public core::Feed {
 public:
  explicit GatedFeed(const core::EventStore* source) : inner_(source) {}
  absl::Status Start(CursorLookup cursors, Handler handler) override {
    return inner_.Start(std::move(cursors), [this, handler](const std::vector<core::FeedEvent>& b) {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&open_));
      return handler(b);
    });
  }
  void Stop() override {
    Open();
    inner_.Stop();
  }
  absl::Status status() const override { return inner_.status(); }
  absl::Time Watermark() const override { return inner_.Watermark(); }
  void Close() {
    absl::MutexLock lock(&mu_);
    open_ = false;
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }

 private:
  core::LocalFeed inner_;
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
};

class DeadlinesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto source = core::EventStore::Open(
        {.path = dir_.Sub("responses"), .source = "responses", .clock = &clock_});
    ASSERT_TRUE(source.ok()) << source.status();
    responses_ = std::move(*source);
    Start();
  }
  void TearDown() override { Stop(); }

  void Start() {
    auto feed = std::make_unique<GatedFeed>(responses_.get());
    if (start_closed_) feed->Close();
    feed_ = feed.get();
    auto m = deadlines::DeadlinesModule::Open({.data_dir = dir_.path(), .clock = &clock_}, std::move(feed));
    ASSERT_TRUE(m.ok()) << m.status();
    module_ = std::move(*m);
    host_ = std::make_unique<core::ServiceHost>("127.0.0.1:0", 4 << 20, &clock_);
    module_->Host(*host_);
    ASSERT_TRUE(host_->Start().ok());
    stub_ = DeadlineService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(host_->port()), grpc::InsecureChannelCredentials()));
  }
  void Stop() {
    if (host_) host_->Shutdown(absl::Seconds(1));
    host_.reset();
    module_.reset();
  }

  // What the responses service would record.
  void Record(const std::string& referral_id, const std::string& stream, ResponseEvent event) {
    EventEnvelope e;
    *e.mutable_responses() = std::move(event);
    e.set_partition_key(referral_id);
    ASSERT_TRUE(responses_->Execute({}, [&](core::Tx& tx) { return tx.Append(stream, std::nullopt, {e}); }).ok());
  }
  void Terms(const std::string& deadline, bool working_day_rule, const std::vector<std::string>& orgs,
             RoundState state = ROUND_STATE_OPEN) {
    TermsOf("ks-2019-1939", "KS 2019/1939", deadline, working_day_rule, orgs, state);
  }
  void TermsOf(const std::string& referral_id, const std::string& case_number, const std::string& deadline,
               bool working_day_rule, const std::vector<std::string>& orgs,
               RoundState state = ROUND_STATE_OPEN) {
    ResponseEvent e;
    auto* t = e.mutable_round_terms_recorded();
    t->set_referral_id(referral_id);
    t->set_case_number(case_number);
    t->set_title("Stockholms stads trygghetsprogram 2020-2023");
    t->set_deadline(deadline);
    t->set_working_day_rule(working_day_rule);
    t->set_state(state);
    t->set_owner_org_id(owner_);
    for (const auto& org : orgs) {
      auto* a = t->add_addressees();
      a->set_org_id(org);
      a->set_stated_deadline(deadline);
      a->set_answer(ANSWER_KIND_REQUIRED);
    }
    Record(referral_id, "round/" + referral_id, e);
  }
  void Submitted(const std::string& org, absl::Time at) {
    ResponseEvent e;
    auto* s = e.mutable_response_submitted();
    s->set_referral_id("ks-2019-1939");
    s->set_org_id(org);
    s->mutable_submitted_at()->set_seconds(absl::ToUnixSeconds(at));
    Record("ks-2019-1939", "response/ks-2019-1939/" + org, e);
  }
  void Decided(const std::string& org) {
    ResponseEvent e;
    auto* d = e.mutable_board_decision_recorded();
    d->set_referral_id("ks-2019-1939");
    d->set_org_id(org);
    Record("ks-2019-1939", "response/ks-2019-1939/" + org, e);
  }

  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  std::optional<Deadline> Get(const std::string& org) {
    GetDeadlineRequest r;
    r.set_referral_id("ks-2019-1939");
    r.set_org_id(org);
    Deadline d;
    if (!stub_->GetDeadline(Ctx().get(), r, &d).ok()) return std::nullopt;
    return d;
  }
  // Waits (bounded) until the deadline satisfies `pred`.
  Deadline Until(const std::string& org, const std::function<bool(const Deadline&)>& pred,
                 const std::string& what) {
    std::optional<Deadline> d;
    for (int i = 0; i < 300; ++i) {
      d = Get(org);
      if (d && pred(*d)) return *d;
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "never " << what << "; last: " << (d ? d->ShortDebugString() : "none");
    return d.value_or(Deadline());
  }
  // Lets the scheduler run a few passes (it runs every 100 ms).
  void Settle() { absl::SleepFor(absl::Milliseconds(350)); }
  // The service's own events of one deadline.
  std::vector<std::string> Types(const std::string& org) {
    auto events = module_->store().ReadStream("deadline/ks-2019-1939/" + org);
    std::vector<std::string> out;
    if (events.ok()) {
      for (const auto& e : *events) out.push_back(e.type());
    }
    return out;
  }
  grpc::Status Call(auto method, const auto& request) {
    CommandResult result;
    return (stub_.get()->*method)(Ctx().get(), request, &result);
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{Stockholm(2021, 2, 1)};
  std::unique_ptr<core::EventStore> responses_;
  GatedFeed* feed_ = nullptr;
  bool start_closed_ = false;  // Start() with the responses feed held back
  std::string owner_;          // the owner_org_id the terms state (empty: a round from before)
  std::unique_ptr<deadlines::DeadlinesModule> module_;
  std::unique_ptr<core::ServiceHost> host_;
  std::unique_ptr<DeadlineService::Stub> stub_;
};

TEST_F(DeadlinesTest, ADeadlineOnGoodFridayMovesToTheTuesdayAfterEasterUnderTheWorkingDayRule) {
  Terms("2021-04-02", /*working_day_rule=*/true, {"bromma-sdn"});
  Deadline d = Until("bromma-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  EXPECT_EQ(d.stated_deadline(), "2021-04-02");
  EXPECT_EQ(d.effective_date(), "2021-04-06");
  // Due at the end of Tuesday 6 April, Swedish summer time: 22:00 UTC.
  EXPECT_EQ(d.due_at().seconds(), absl::ToUnixSeconds(Stockholm(2021, 4, 7, 0)));
  EXPECT_EQ(d.outcome(), DEADLINE_OUTCOME_OPEN);
  EXPECT_EQ(d.days_left(), 64);  // from 1 February
}

TEST_F(DeadlinesTest, TheLatestGrantedExtensionCounts) {
  Terms("2021-02-26", false, {"utbildningsnamnden"});
  Until("utbildningsnamnden", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  RequestExtensionRequest ask;
  ask.set_command_id("ask-1");
  ask.set_referral_id("KS 2019/1939");
  ask.set_org_id("utbildningsnamnden");
  ask.set_requested_date("2021-03-12");
  ask.set_reason("nämnden sammanträder först den 11 mars");
  ASSERT_TRUE(Call(&DeadlineService::Stub::RequestExtension, ask).ok());
  DecideExtensionRequest grant;
  grant.set_command_id("grant-1");
  grant.set_referral_id("ks-2019-1939");
  grant.set_org_id("utbildningsnamnden");
  grant.set_extension_id("anstand-1");
  grant.set_grant(true);
  grant.set_granted_date("2021-03-05");
  ASSERT_TRUE(Call(&DeadlineService::Stub::DecideExtension, grant).ok());
  Deadline d = *Get("utbildningsnamnden");
  EXPECT_EQ(d.effective_date(), "2021-03-05");
  ASSERT_EQ(d.extensions_size(), 1);
  EXPECT_EQ(d.extensions(0).state(), EXTENSION_STATE_GRANTED);

  // A second request, refused: the granted date still counts.
  ask.set_command_id("ask-2");
  ask.set_requested_date("2021-03-19");
  ASSERT_TRUE(Call(&DeadlineService::Stub::RequestExtension, ask).ok());
  DecideExtensionRequest refuse;
  refuse.set_command_id("refuse-2");
  refuse.set_referral_id("ks-2019-1939");
  refuse.set_org_id("utbildningsnamnden");
  refuse.set_extension_id("anstand-2");
  refuse.set_note("svaren behövs till kommunstyrelsens sammanträde");
  ASSERT_TRUE(Call(&DeadlineService::Stub::DecideExtension, refuse).ok());
  EXPECT_EQ(Get("utbildningsnamnden")->effective_date(), "2021-03-05");

  refuse.set_command_id("refuse-2-again");
  grpc::Status bad = Call(&DeadlineService::Stub::DecideExtension, refuse);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "decided already";
  EXPECT_EQ(bad.error_message().rfind("extension_id:", 0), 0u) << bad.error_message();
}

// Issue 25, finding 5: a round's extensions and reminders are its owner's (the organization
// its terms name, owner_org_id): a ks of another organization is refused DecideExtension and
// SetReminderPolicy, and nothing of either is recorded; the owner's ks acts. A round whose
// terms name no owner (recorded before it existed) keeps the rule before: any ks.
TEST_F(DeadlinesTest, AKsDecidesARoundsExtensionsAndRemindersOnlyForTheRoundsOwner) {
  owner_ = "ks";
  Terms("2021-02-26", false, {"utbildningsnamnden"});
  owner_ = "";
  TermsOf("ks-2019-7", "KS 2019/7", "2021-02-26", false, {"utbildningsnamnden"});
  Until("utbildningsnamnden", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  RequestExtensionRequest ask;
  ask.set_command_id("ask-1");
  ask.set_referral_id("ks-2019-1939");
  ask.set_org_id("utbildningsnamnden");
  ask.set_requested_date("2021-03-12");
  ask.set_reason("nämnden sammanträder först den 11 mars");
  ASSERT_TRUE(Call(&DeadlineService::Stub::RequestExtension, ask).ok());

  auto as_ks_of = [this](const std::string& org, auto method, const auto& request) {
    auto ctx = Ctx();
    ctx->AddMetadata("x-remiss-org", org);
    ctx->AddMetadata("x-remiss-role", "ks");
    ctx->AddMetadata("x-remiss-person", org + "-handlaggare-1");
    CommandResult result;
    return (stub_.get()->*method)(ctx.get(), request, &result);
  };
  DecideExtensionRequest grant;
  grant.set_command_id("grant-region");
  grant.set_referral_id("ks-2019-1939");
  grant.set_org_id("utbildningsnamnden");
  grant.set_extension_id("anstand-1");
  grant.set_grant(true);
  SetReminderPolicyRequest policy;
  policy.set_command_id("policy-region");
  policy.set_referral_id("KS 2019/1939");
  policy.add_days_before(7);

  const uint64_t before = module_->store().LastPosition();
  grpc::Status refused = as_ks_of("region", &DeadlineService::Stub::DecideExtension, grant);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("role ks: round ks-2019-1939 is run by organization \"ks\""),
            std::string::npos)
      << refused.error_message();
  refused = as_ks_of("region", &DeadlineService::Stub::SetReminderPolicy, policy);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("is run by organization \"ks\""), std::string::npos)
      << refused.error_message();
  auto log = module_->store().ReadLog(before + 1, 1000);
  ASSERT_TRUE(log.ok()) << log.status();
  for (const auto& e : *log) {
    EXPECT_NE(e.command_id(), "grant-region") << "a refusal recorded " << e.type();
    EXPECT_NE(e.command_id(), "policy-region") << "a refusal recorded " << e.type();
  }
  EXPECT_EQ(Get("utbildningsnamnden")->extensions(0).state(), EXTENSION_STATE_REQUESTED);

  grant.set_command_id("grant-ks");
  grpc::Status own = as_ks_of("ks", &DeadlineService::Stub::DecideExtension, grant);
  EXPECT_TRUE(own.ok()) << own.error_message();
  EXPECT_EQ(Get("utbildningsnamnden")->extensions(0).state(), EXTENSION_STATE_GRANTED);
  policy.set_command_id("policy-ks");
  own = as_ks_of("ks", &DeadlineService::Stub::SetReminderPolicy, policy);
  EXPECT_TRUE(own.ok()) << own.error_message();

  // The round from before owners were stated: any ks sets its reminders.
  policy.set_command_id("policy-region-old-round");
  policy.set_referral_id("ks-2019-7");
  own = as_ks_of("region", &DeadlineService::Stub::SetReminderPolicy, policy);
  EXPECT_TRUE(own.ok()) << own.error_message();
}

TEST_F(DeadlinesTest, RemindersAreIssuedOnceEachAlsoAcrossARestart) {
  Terms("2021-02-26", false, {"bromma-sdn"});
  Until("bromma-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  clock_.Set(Stockholm(2021, 2, 12, 8, 1));  // 14 days before, 08:01
  Deadline d = Until("bromma-sdn", [](const Deadline& d) { return d.reminders_issued_size() == 1; },
                     "reminded 14 days before");
  EXPECT_EQ(d.reminders_issued(0), 14);
  Stop();
  clock_.Set(Stockholm(2021, 2, 23, 9));  // 3 days before passed while the service was down
  Start();
  d = Until("bromma-sdn", [](const Deadline& d) { return d.reminders_issued_size() == 2; },
            "reminded 3 days before");
  Settle();
  EXPECT_EQ(Types("bromma-sdn"),
            (std::vector<std::string>{"DeadlineScheduled", "ReminderIssued", "ReminderIssued"}));
}

TEST_F(DeadlinesTest, AMissedDeadlineIsBreachedOnceThenAnsweredLate) {
  Terms("2021-02-26", false, {"bromma-sdn", "sodermalm-sdn"});
  Until("sodermalm-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  clock_.Set(Stockholm(2021, 2, 25, 15));
  Settle();  // the reminders 14 and 3 days before go out
  Submitted("sodermalm-sdn", clock_.Now());  // in time
  Until("sodermalm-sdn", [](const Deadline& d) { return d.outcome() == DEADLINE_OUTCOME_MET; }, "met");

  clock_.Set(Stockholm(2021, 2, 27, 0, 1));  // one minute past the end of the 26th
  Deadline d = Until("bromma-sdn", [](const Deadline& d) { return d.outcome() == DEADLINE_OUTCOME_BREACHED; },
                     "breached");
  EXPECT_EQ(d.breached_at().seconds(), absl::ToUnixSeconds(clock_.Now()));
  ListDeadlinesResponse overdue;
  ASSERT_TRUE(stub_->ListOverdue(Ctx().get(), {}, &overdue).ok());
  ASSERT_EQ(overdue.deadlines_size(), 1);
  EXPECT_EQ(overdue.deadlines(0).org_id(), "bromma-sdn");
  EXPECT_EQ(overdue.deadlines(0).days_left(), -1);

  clock_.Set(Stockholm(2021, 3, 2, 10));
  Submitted("bromma-sdn", clock_.Now());
  Until("bromma-sdn",
        [](const Deadline& d) { return d.outcome() == DEADLINE_OUTCOME_BREACHED_THEN_ANSWERED_LATE; },
        "answered late");
  ListDeadlinesResponse now_overdue;
  ASSERT_TRUE(stub_->ListOverdue(Ctx().get(), {}, &now_overdue).ok());
  EXPECT_EQ(now_overdue.deadlines_size(), 0);
  EXPECT_EQ(Types("sodermalm-sdn"),
            (std::vector<std::string>{"DeadlineScheduled", "ReminderIssued", "ReminderIssued",
                                      "ResponseReceived"}));
}

TEST_F(DeadlinesTest, ALaggingResponsesFeedNeverProducesAFalseBreach) {
  Terms("2021-02-26", false, {"bromma-sdn", "hasselby-vallingby-sdn"});
  Until("bromma-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  clock_.Set(Stockholm(2021, 2, 26, 16));
  feed_->Close();  // the responses feed falls behind
  Submitted("bromma-sdn", clock_.Now());  // answered in time, not yet heard
  clock_.Set(Stockholm(2021, 2, 28, 12));  // well past due
  Settle();
  EXPECT_EQ(Get("bromma-sdn")->outcome(), DEADLINE_OUTCOME_OPEN) << "breached on a lagging feed";
  EXPECT_EQ(Get("hasselby-vallingby-sdn")->outcome(), DEADLINE_OUTCOME_OPEN);
  feed_->Open();  // it catches up
  Until("bromma-sdn", [](const Deadline& d) { return d.outcome() == DEADLINE_OUTCOME_MET; }, "met");
  Until("hasselby-vallingby-sdn", [](const Deadline& d) { return d.outcome() == DEADLINE_OUTCOME_BREACHED; },
        "breached once the feed caught up");
  Settle();
  for (const auto& type : Types("bromma-sdn")) EXPECT_NE(type, "DeadlineBreached");
}

// C25: a reminder, like a breach, waits until the responses feed is known to be past its
// instant: a board that answered before the reminder day, on a feed that lags, is never
// reminded; the board that did not answer is, once the feed catches up.
TEST_F(DeadlinesTest, ALaggingResponsesFeedNeverRemindsABoardThatAnswered) {
  Terms("2021-02-26", false, {"bromma-sdn", "sodermalm-sdn"});
  Until("sodermalm-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  clock_.Set(Stockholm(2021, 2, 10, 14));
  feed_->Close();  // the responses feed falls behind
  Submitted("bromma-sdn", clock_.Now());  // answered before the reminder day, not yet heard
  clock_.Set(Stockholm(2021, 2, 12, 8, 1));  // 14 days before, 08:01: the reminders are due
  Settle();
  EXPECT_EQ(Get("bromma-sdn")->reminders_issued_size(), 0) << "reminded on a lagging feed";
  EXPECT_EQ(Get("sodermalm-sdn")->reminders_issued_size(), 0)
      << "reminded before the feed was known to be past the reminder's instant";
  feed_->Open();  // it catches up
  Until("bromma-sdn", [](const Deadline& d) { return d.outcome() == DEADLINE_OUTCOME_MET; }, "met");
  Deadline d = Until("sodermalm-sdn", [](const Deadline& d) { return d.reminders_issued_size() == 1; },
                     "reminded once the feed caught up");
  EXPECT_EQ(d.reminders_issued(0), 14);
  Settle();
  for (const auto& type : Types("bromma-sdn")) EXPECT_NE(type, "ReminderIssued");
}

// C25: an at-risk check waits for the feed too: a board that decided before the check's
// instant, on a feed that lags, is never flagged at risk.
TEST_F(DeadlinesTest, ALaggingResponsesFeedNeverFlagsABoardThatDecidedAtRisk) {
  RegisterBoardMeetingsRequest meetings;
  meetings.set_command_id("cal-1");
  meetings.set_org_id("bromma-sdn");
  meetings.add_dates("2021-02-18");
  meetings.add_dates("2021-03-25");
  ASSERT_TRUE(Call(&DeadlineService::Stub::RegisterBoardMeetings, meetings).ok());
  Terms("2021-02-26", false, {"bromma-sdn"});
  Until("bromma-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  clock_.Set(Stockholm(2021, 2, 18, 15));
  feed_->Close();  // the responses feed falls behind
  Decided("bromma-sdn");  // decided at the 18 February meeting, not yet heard
  clock_.Set(Stockholm(2021, 2, 19, 8));  // the meeting day is over: the at-risk check is due
  Settle();
  EXPECT_EQ(Get("bromma-sdn")->at_risk_for(), "") << "flagged at risk on a lagging feed";
  feed_->Open();  // it catches up
  Until("bromma-sdn", [](const Deadline& d) { return d.decided(); }, "decided");
  Settle();
  EXPECT_EQ(Get("bromma-sdn")->at_risk_for(), "");
  for (const auto& type : Types("bromma-sdn")) EXPECT_NE(type, "DeadlineAtRisk");
}

TEST_F(DeadlinesTest, DownAcrossTheDueInstantTheBreachIsDeclaredOnceAfterRestart) {
  Terms("2021-02-26", false, {"bromma-sdn"});
  Until("bromma-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  clock_.Set(Stockholm(2021, 2, 26, 12));
  Settle();
  Stop();
  clock_.Set(Stockholm(2021, 3, 1, 9));
  Start();
  Until("bromma-sdn", [](const Deadline& d) { return d.outcome() == DEADLINE_OUTCOME_BREACHED; }, "breached");
  Stop();
  Start();
  Settle();
  int breaches = 0, after = 0;
  for (const auto& type : Types("bromma-sdn")) {
    breaches += type == "DeadlineBreached";
    after += type == "ReminderIssued";
  }
  EXPECT_EQ(breaches, 1);
  EXPECT_EQ(after, 3);  // 14 and 3 days before, and 1 day after: each once
}

TEST_F(DeadlinesTest, ABoardWithNoMeetingLeftBeforeTheDeadlineIsAtRiskUntilItDecides) {
  RegisterBoardMeetingsRequest meetings;
  meetings.set_command_id("cal-1");
  meetings.set_org_id("bromma-sdn");
  meetings.add_dates("2021-02-18");
  meetings.add_dates("2021-03-25");
  ASSERT_TRUE(Call(&DeadlineService::Stub::RegisterBoardMeetings, meetings).ok());
  meetings.set_org_id("sodermalm-sdn");
  meetings.set_command_id("cal-2");
  ASSERT_TRUE(Call(&DeadlineService::Stub::RegisterBoardMeetings, meetings).ok());
  Terms("2021-02-26", false, {"bromma-sdn", "sodermalm-sdn"});
  Until("bromma-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  EXPECT_EQ(Get("bromma-sdn")->at_risk_for(), "");  // the 18 February meeting is still ahead

  Decided("sodermalm-sdn");
  Until("sodermalm-sdn", [](const Deadline& d) { return d.decided(); }, "decided");
  clock_.Set(Stockholm(2021, 2, 19, 8));  // the meeting passed without a decision in Bromma
  Deadline d = Until("bromma-sdn", [](const Deadline& d) { return !d.at_risk_for().empty(); }, "at risk");
  EXPECT_EQ(d.at_risk_for(), "2021-02-26");
  Settle();
  EXPECT_EQ(Get("sodermalm-sdn")->at_risk_for(), "");
  int flagged = 0;
  for (const auto& type : Types("bromma-sdn")) flagged += type == "DeadlineAtRisk";
  EXPECT_EQ(flagged, 1);
}

TEST_F(DeadlinesTest, RebuildGivesTheLiveProjectionsAndOrganizationsSeeWhatIsDue) {
  Terms("2021-02-26", true, {"bromma-sdn", "sodermalm-sdn"});
  Until("sodermalm-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  ListDueForOrganizationRequest due;
  due.set_org_id("bromma-sdn");
  due.set_days(30);
  ListDeadlinesResponse out;
  ASSERT_TRUE(stub_->ListDueForOrganization(Ctx().get(), due, &out).ok());
  ASSERT_EQ(out.deadlines_size(), 1);
  EXPECT_EQ(out.deadlines(0).case_number(), "KS 2019/1939");
  due.set_days(7);
  ASSERT_TRUE(stub_->ListDueForOrganization(Ctx().get(), due, &out).ok());
  EXPECT_EQ(out.deadlines_size(), 0);

  const core::Digest live = module_->store().ProjectionDigest();
  auto rebuilt = module_->store().RebuildProjections();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->sha256, live.sha256);
}

// Timers are a pure fold of the log: an at-risk check that comes due only after the
// effective date (the service was down across it) finds nothing to record; its firing is
// recorded (TimerFired), so a rebuild gives the live projections and it never fires again.
TEST_F(DeadlinesTest, AfterDowntimeAnAtRiskCheckPastTheEffectiveDateRebuildsToTheLiveDigest) {
  RegisterBoardMeetingsRequest meetings;
  meetings.set_command_id("cal-1");
  meetings.set_org_id("bromma-sdn");
  meetings.add_dates("2021-02-18");
  ASSERT_TRUE(Call(&DeadlineService::Stub::RegisterBoardMeetings, meetings).ok());
  Terms("2021-02-26", false, {"bromma-sdn"});
  Until("bromma-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  Settle();
  Stop();
  Decided("sodermalm-sdn");  // responses goes on meanwhile; deadlines will hear of it late
  clock_.Set(Stockholm(2021, 2, 27, 9));  // down across the meeting and the effective date
  start_closed_ = true;  // every timer waits for the feed (C25)
  Start();
  Settle();
  EXPECT_EQ(Get("bromma-sdn")->reminders_issued_size(), 0) << "a timer fired on a lagging feed";
  feed_->Open();
  Until("bromma-sdn", [](const Deadline& d) { return d.outcome() == DEADLINE_OUTCOME_BREACHED; }, "breached");
  Until("bromma-sdn", [](const Deadline& d) { return d.reminders_issued_size() >= 2; },
        "reminded after the restart");
  Settle();
  EXPECT_EQ(Get("bromma-sdn")->at_risk_for(), "") << "at risk past the effective date";

  const core::Digest live = module_->store().ProjectionDigest();
  auto rebuilt = module_->store().RebuildProjections();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->sha256, live.sha256) << "a rebuild differs from the live projections";
  Settle();
  EXPECT_EQ(module_->store().ProjectionDigest().sha256, live.sha256) << "a timer fired again";
  auto fired = module_->store().ReadStream("timer/ks-2019-1939/bromma-sdn");
  ASSERT_TRUE(fired.ok()) << fired.status();
  ASSERT_EQ(fired->size(), 1u) << "the at-risk check fired more than once";
  EXPECT_EQ(fired->front().deadlines().timer_fired().kind(), "at_risk");
}

// ---- paging ----

// "referral_id/org_id" of every row on every page; only the last page lacks a token.
std::vector<std::string> Rows(const std::vector<ListDeadlinesResponse>& pages) {
  std::vector<std::string> out;
  for (size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(pages[i].next_page_token().empty(), i + 1 == pages.size()) << "page " << i + 1;
    for (const auto& d : pages[i].deadlines()) out.push_back(d.referral_id() + "/" + d.org_id());
  }
  return out;
}

TEST_F(DeadlinesTest, EveryDeadlineListComesInPagesEachOnceInItsOwnOrder) {
  const std::vector<std::string> boards = {"bromma-sdn", "enskede-sdn", "farsta-sdn", "skarholmen-sdn",
                                           "sodermalm-sdn"};
  Terms("2021-02-26", false, {"sodermalm-sdn", "farsta-sdn", "bromma-sdn", "skarholmen-sdn", "enskede-sdn"});
  // Bromma's other rounds, due on other dates (the last beyond 30 days from 1 February).
  const std::vector<std::pair<std::string, std::string>> others = {
      {"ks-2021-1", "2021-02-20"}, {"ks-2021-2", "2021-02-10"}, {"ks-2021-3", "2021-02-15"},
      {"ks-2021-4", "2021-02-10"}, {"ks-2021-5", "2021-03-30"}};
  for (const auto& [id, date] : others) {
    TermsOf(id, "KS 2021/" + id.substr(8), date, false, {"bromma-sdn"});
  }
  auto due = [&](const ListDueForOrganizationRequest& r, ListDeadlinesResponse* out) {
    return stub_->ListDueForOrganization(Ctx().get(), r, out);
  };
  ListDueForOrganizationRequest bromma;
  bromma.set_org_id("bromma-sdn");
  bromma.set_days(3660);
  for (int i = 0; i < 300; ++i) {  // until all six of Bromma's are scheduled
    ListDeadlinesResponse all;
    if (due(bromma, &all).ok() && all.deadlines_size() == 6) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  for (const auto& org : boards) Until(org, [](const Deadline& d) { return d.scheduled(); }, "scheduled");

  // A round's deadlines, by board.
  auto for_round = [&](const ListDeadlinesForRoundRequest& r, ListDeadlinesResponse* out) {
    return stub_->ListDeadlinesForRound(Ctx().get(), r, out);
  };
  ListDeadlinesForRoundRequest round;
  round.set_referral_id("KS 2019/1939");
  std::vector<ListDeadlinesResponse> pages;
  ASSERT_TRUE(remiss::testing::WalkPages(for_round, round, 2, &pages));
  EXPECT_EQ(pages.size(), 3u);
  std::vector<std::string> expected;
  for (const auto& org : boards) expected.push_back("ks-2019-1939/" + org);
  EXPECT_EQ(Rows(pages), expected);
  remiss::testing::ExpectBadPagingRefused<ListDeadlinesResponse>(for_round, round);

  // What Bromma has due in 30 days, by date, then round; not what is due later.
  bromma.set_days(30);
  pages.clear();
  ASSERT_TRUE(remiss::testing::WalkPages(due, bromma, 2, &pages));
  EXPECT_EQ(pages.size(), 3u);
  EXPECT_EQ(Rows(pages), (std::vector<std::string>{"ks-2021-2/bromma-sdn", "ks-2021-4/bromma-sdn",
                                                   "ks-2021-3/bromma-sdn", "ks-2021-1/bromma-sdn",
                                                   "ks-2019-1939/bromma-sdn"}));
  EXPECT_EQ(pages[0].deadlines(0).days_left(), 9);
  remiss::testing::ExpectBadPagingRefused<ListDeadlinesResponse>(due, bromma);
  ListDueForOrganizationRequest other_days = bromma;
  other_days.set_days(60);
  other_days.set_page_token(pages[0].next_page_token());
  ListDeadlinesResponse* type = nullptr;
  EXPECT_TRUE(remiss::testing::RefusedNaming(due, other_days, type, "page_token: belongs to another query"));

  // Past every date but the last: what is overdue, by due instant, then round and board.
  clock_.Set(Stockholm(2021, 3, 2, 10));
  auto overdue = [&](const ListOverdueRequest& r, ListDeadlinesResponse* out) {
    return stub_->ListOverdue(Ctx().get(), r, out);
  };
  pages.clear();
  ASSERT_TRUE(remiss::testing::WalkPages(overdue, ListOverdueRequest(), 2, &pages));
  EXPECT_EQ(pages.size(), 5u);
  expected = {"ks-2021-2/bromma-sdn", "ks-2021-4/bromma-sdn", "ks-2021-3/bromma-sdn", "ks-2021-1/bromma-sdn"};
  for (const auto& org : boards) expected.push_back("ks-2019-1939/" + org);
  EXPECT_EQ(Rows(pages), expected);
  remiss::testing::ExpectBadPagingRefused<ListDeadlinesResponse>(overdue, ListOverdueRequest());
  ListDeadlinesForRoundRequest round_with_overdue_token = round;
  round_with_overdue_token.set_page_token(pages[0].next_page_token());
  EXPECT_TRUE(remiss::testing::RefusedNaming(for_round, round_with_overdue_token, type,
                                             "page_token: belongs to another query"));

  Settle();  // the breaches and reminders of the new date are recorded before the digest
  const core::Digest live = module_->store().ProjectionDigest();
  auto rebuilt = module_->store().RebuildProjections();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->sha256, live.sha256);
}

TEST_F(DeadlinesTest, AStoreFromABuildWithoutTheDueByOrganizationIndexGetsItAtStart) {
  Terms("2021-02-26", false, {"bromma-sdn"});
  Until("bromma-sdn", [](const Deadline& d) { return d.scheduled(); }, "scheduled");
  const core::Digest live = module_->store().ProjectionDigest();
  Stop();
  {  // As an earlier build left it: no due-by-org/ rows, no layout mark.
    auto store = core::EventStore::Open({.path = dir_.Sub("deadlines"), .source = "deadlines", .clock = &clock_});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Execute({}, [](core::Tx& tx) {
                           std::vector<std::string> keys;
                           tx.Scan("due-by-org/", [&](absl::string_view key, absl::string_view) {
                             keys.emplace_back(key);
                             return true;
                           });
                           EXPECT_EQ(keys.size(), 1u);
                           for (const auto& k : keys) tx.Delete(k);
                           return absl::OkStatus();
                         }).ok());
    ASSERT_TRUE((*store)->PutMeta("deadlines/projection-layout", "1").ok());
    EXPECT_NE((*store)->ProjectionDigest().sha256, live.sha256);
  }
  Start();
  EXPECT_EQ(module_->store().ProjectionDigest().sha256, live.sha256);
  ListDueForOrganizationRequest due;
  due.set_org_id("bromma-sdn");
  ListDeadlinesResponse out;
  ASSERT_TRUE(stub_->ListDueForOrganization(Ctx().get(), due, &out).ok());
  ASSERT_EQ(out.deadlines_size(), 1);
  EXPECT_EQ(out.deadlines(0).referral_id(), "ks-2019-1939");
}

}  // namespace
}  // namespace remiss
