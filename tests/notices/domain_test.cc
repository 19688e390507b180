// The notices domain, directly: which notices an event yields (given the round as the
// projections hold it), the templates and the message.
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "remiss/notices/domain.h"
#include "remiss/notices/message.h"
#include "remiss/notices/templates.h"

namespace remiss::notices {
namespace {

using remiss::v1::EventEnvelope;
using remiss::v1::NoticeQueued;

remiss::v1::Organization Org(const std::string& id, const std::string& mailbox) {
  remiss::v1::Organization o;
  o.set_org_id(id);
  o.set_name(id == "ks" ? "Kommunstyrelsen" : "Bromma stadsdelsnämnd");
  o.set_registry_mailbox(mailbox);
  return o;
}

// KS's round ks-2019-1939 to bromma-sdn (mailbox), sodermalm-sdn (none) and farsta-sdn
// (for information), as it stands once issued.
RoundView IssuedRound() {
  RoundView v;
  remiss::v1::NoticeRound r;
  r.set_referral_id("ks-2019-1939");
  r.set_case_number("KS 2019/1939");
  r.set_title("Stockholms stads trygghetsprogram 2020-2023");
  r.set_sender_org_id("ks");
  r.set_deadline("2021-02-26");
  r.set_issued(true);
  (*r.mutable_addressees())["bromma-sdn"] = remiss::v1::ANSWER_KIND_REQUIRED;
  (*r.mutable_addressees())["sodermalm-sdn"] = remiss::v1::ANSWER_KIND_REQUIRED;
  (*r.mutable_addressees())["farsta-sdn"] = remiss::v1::ANSWER_KIND_FOR_INFORMATION;
  auto* doc = r.add_documents();
  doc->set_title("Trygghetsprogram");
  doc->set_uri("https://diarium.example/ks-2019-1939/1");
  v.round = r;
  v.orgs["ks"] = Org("ks", "registrator@ks.example");
  v.orgs["bromma-sdn"] = Org("bromma-sdn", "registrator@bromma.example");
  v.orgs["sodermalm-sdn"] = Org("sodermalm-sdn", "");
  v.orgs["farsta-sdn"] = Org("farsta-sdn", "registrator@farsta.example");
  return v;
}

EventEnvelope Issued() {
  EventEnvelope e;
  e.set_event_id("referrals-9");
  e.set_partition_key("ks-2019-1939");
  auto* i = e.mutable_referrals()->mutable_referral_issued();
  i->set_referral_id("ks-2019-1939");
  for (const char* org : {"bromma-sdn", "sodermalm-sdn", "farsta-sdn"}) i->add_addressees()->set_org_id(org);
  return e;
}

EventEnvelope Reminder(const std::string& org, int days) {
  EventEnvelope e;
  e.set_event_id("deadlines-40");
  e.set_partition_key("ks-2019-1939");
  auto* r = e.mutable_deadlines()->mutable_reminder_issued();
  r->set_referral_id("ks-2019-1939");
  r->set_org_id(org);
  r->set_days_before(days);
  r->set_effective_date("2021-02-26");
  return e;
}

std::vector<std::string> Ids(const std::vector<NoticeQueued>& notices) {
  std::vector<std::string> out;
  for (const auto& n : notices) out.push_back(n.notice_id());
  return out;
}

TEST(NoticesFor, TheIssuedRoundGoesToEveryAddresseeWithAMailboxOnce) {
  RoundView view = IssuedRound();
  auto notices = NoticesFor(Issued(), view, {.console_url = "https://remiss.example"});
  ASSERT_TRUE(notices.ok()) << notices.status();
  EXPECT_EQ(Ids(*notices), (std::vector<std::string>{"round.ks-2019-1939.bromma-sdn", "round.ks-2019-1939.farsta-sdn"}));
  const NoticeQueued& n = (*notices)[0];
  EXPECT_EQ(n.recipient(), "registrator@bromma.example");
  EXPECT_EQ(n.case_number(), "KS 2019/1939");
  EXPECT_EQ(n.cause_event_id(), "referrals-9");
  EXPECT_EQ(n.fields().at("deadline"), "26 februari 2021");
  EXPECT_EQ(n.fields().at("link"), "https://remiss.example/remisser/ks-2019-1939/svar/bromma-sdn");
  EXPECT_EQ(n.fields().at("sender_name"), "Kommunstyrelsen");
  EXPECT_TRUE(absl::StrContains(n.fields().at("documents"), "https://diarium.example/ks-2019-1939/1"));

  // Delivered again (a feed's repeat): nothing new.
  for (const auto& q : *notices) view.queued.insert(q.notice_id());
  auto again = NoticesFor(Issued(), view, {});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST(NoticesFor, AnAddresseeAddedAfterIssueGetsTheRoundThen) {
  RoundView view = IssuedRound();
  view.orgs["vallingby-sdn"] = Org("vallingby-sdn", "registrator@vallingby.example");
  (*view.round->mutable_addressees())["vallingby-sdn"] = remiss::v1::ANSWER_KIND_REQUIRED;
  EventEnvelope e;
  e.set_partition_key("ks-2019-1939");
  e.mutable_referrals()->mutable_addressee_added()->mutable_addressee()->set_org_id("vallingby-sdn");
  auto notices = NoticesFor(e, view, {});
  ASSERT_TRUE(notices.ok());
  EXPECT_EQ(Ids(*notices), (std::vector<std::string>{"round.ks-2019-1939.vallingby-sdn"}));

  view.round->set_issued(false);  // still a draft: the round goes out when issued
  auto draft = NoticesFor(e, view, {});
  ASSERT_TRUE(draft.ok());
  EXPECT_TRUE(draft->empty());
}

TEST(NoticesFor, RemindersGoOnlyToBoardsThatHaveNotAnswered) {
  RoundView view = IssuedRound();
  auto r = NoticesFor(Reminder("bromma-sdn", 3), view, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(Ids(*r), (std::vector<std::string>{"reminder.ks-2019-1939.bromma-sdn.2021-02-26.3"}));
  EXPECT_EQ((*r)[0].fields().at("when"), "om 3 dagar");
  // An answer recorded after the reminder (delivered first by a faster feed) holds nothing back.
  EventEnvelope reminder = Reminder("bromma-sdn", 3);
  reminder.mutable_recorded_at()->set_seconds(1613116800);  // 2021-02-12 08:00 UTC
  view.answered["bromma-sdn"] = absl::FromUnixSeconds(1613116800 + 3600);
  auto later = NoticesFor(reminder, view, {});
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->size(), 1u);
  // One recorded before it does.
  view.answered["bromma-sdn"] = absl::FromUnixSeconds(1613116800 - 3600);
  auto after = NoticesFor(reminder, view, {});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
}

TEST(NoticesFor, ABreachNotifiesTheBoardAndSendsKsTheListOfWhatHasNotComeIn) {
  RoundView view = IssuedRound();
  EventEnvelope e;
  e.set_partition_key("ks-2019-1939");
  auto* b = e.mutable_deadlines()->mutable_deadline_breached();
  b->set_referral_id("ks-2019-1939");
  b->set_org_id("bromma-sdn");
  b->set_effective_date("2021-02-26");
  auto notices = NoticesFor(e, view, {});
  ASSERT_TRUE(notices.ok());
  ASSERT_EQ(Ids(*notices), (std::vector<std::string>{"overdue.ks-2019-1939.bromma-sdn.2021-02-26",
                                                     "overdue_summary.ks-2019-1939.ks.2021-02-26"}));
  const auto& summary = (*notices)[1];
  EXPECT_EQ(summary.recipient(), "registrator@ks.example");
  // Those asked to answer (not farsta, for information) that have not.
  EXPECT_EQ(summary.fields().at("not_answered_count"), "2");
  EXPECT_TRUE(absl::StrContains(summary.fields().at("not_answered"), "bromma-sdn"));
  EXPECT_FALSE(absl::StrContains(summary.fields().at("not_answered"), "farsta-sdn"));
}

TEST(NoticesFor, AReceiptWhenKsHasTheAnswerAndChangeNoticesWhenTheDateMoves) {
  RoundView view = IssuedRound();
  EventEnvelope s;
  s.set_partition_key("ks-2019-1939");
  s.mutable_responses()->mutable_response_submitted()->set_org_id("bromma-sdn");
  s.mutable_responses()->mutable_response_submitted()->mutable_submitted_at()->set_seconds(1614250800);  // 2021-02-25
  auto receipt = NoticesFor(s, view, {});
  ASSERT_TRUE(receipt.ok());
  ASSERT_EQ(Ids(*receipt), (std::vector<std::string>{"receipt.ks-2019-1939.bromma-sdn"}));
  EXPECT_EQ((*receipt)[0].fields().at("submitted_on"), "25 februari 2021");

  EventEnvelope c;
  c.set_partition_key("ks-2019-1939");
  auto* changed = c.mutable_deadlines()->mutable_deadline_changed();
  changed->set_org_id("bromma-sdn");
  changed->set_effective_date("2021-03-12");
  changed->set_previous_effective_date("2021-02-26");
  changed->set_cause(remiss::v1::DEADLINE_CHANGE_CAUSE_EXTENSION_GRANTED);
  auto change = NoticesFor(c, view, {});
  ASSERT_TRUE(change.ok());
  ASSERT_EQ(Ids(*change), (std::vector<std::string>{"change.ks-2019-1939.bromma-sdn.2021-03-12"}));
  EXPECT_EQ((*change)[0].fields().at("change"), "Anstånd har beviljats");
  EXPECT_EQ((*change)[0].fields().at("deadline"), "12 mars 2021");
}

TEST(NoticesFor, WaitsForTheRoundAndTheRecipientFromReferrals) {
  RoundView view;  // nothing known yet
  auto r = NoticesFor(Reminder("bromma-sdn", 14), view, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  view = IssuedRound();
  view.orgs.erase("bromma-sdn");
  r = NoticesFor(Reminder("bromma-sdn", 14), view, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "bromma-sdn"));
}

TEST(FoldRound, IssuedThenAnAddresseeRemovedAndTheDeadlineMoved) {
  remiss::v1::NoticeRound round;
  remiss::v1::ReferralEvent e;
  e.mutable_referral_drafted()->set_case_number("KS 2019/1939");
  e.mutable_referral_drafted()->set_referral_id("ks-2019-1939");
  FoldRound(round, e);
  e.Clear();
  auto* i = e.mutable_referral_issued();
  i->set_referral_id("ks-2019-1939");
  i->set_case_number("KS 2019/1939");
  i->set_deadline("2021-02-26");
  i->add_addressees()->set_org_id("bromma-sdn");
  i->add_addressees()->set_org_id("sodermalm-sdn");
  FoldRound(round, e);
  e.Clear();
  e.mutable_addressee_removed()->set_org_id("sodermalm-sdn");
  FoldRound(round, e);
  e.Clear();
  e.mutable_deadline_moved()->set_deadline("2021-03-05");
  FoldRound(round, e);
  EXPECT_TRUE(round.issued());
  EXPECT_EQ(round.addressees().size(), 1u);
  EXPECT_EQ(round.deadline(), "2021-03-05");
}

TEST(Operator, RetryOnlyAParkedNoticeToTheMailboxAsItIsNowSkipNeedsAReason) {
  remiss::v1::Notice n;
  n.set_notice_id("round.ks-2019-1939.bromma-sdn");
  n.set_recipient("old@bromma.example");
  n.set_state(remiss::v1::NOTICE_STATE_DELIVERED);
  remiss::v1::RetryNoticeRequest retry;
  retry.set_notice_id(n.notice_id());
  EXPECT_EQ(DecideRetry(retry, &n, "").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideRetry(retry, nullptr, "").status().code(), absl::StatusCode::kNotFound);
  n.set_state(remiss::v1::NOTICE_STATE_PARKED);
  auto r = DecideRetry(retry, &n, "new@bromma.example");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recipient(), "new@bromma.example");

  remiss::v1::SkipNoticeRequest skip;
  skip.set_notice_id(n.notice_id());
  auto s = DecideSkip(skip, &n);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.status().message(), "reason:"));
  skip.set_reason("the board was dissolved");
  EXPECT_TRUE(DecideSkip(skip, &n).ok());
}

TEST(Backoff, DoublesUpToTheCap) {
  EXPECT_EQ(BackoffAfter(1, absl::Seconds(1), absl::Minutes(1)), absl::Seconds(1));
  EXPECT_EQ(BackoffAfter(3, absl::Seconds(1), absl::Minutes(1)), absl::Seconds(4));
  EXPECT_EQ(BackoffAfter(30, absl::Seconds(1), absl::Minutes(1)), absl::Minutes(1));
  EXPECT_EQ(MessageIdFor("notices-42", "stockholm.se"), "<notice.notices-42@stockholm.se>");
}

TEST(Templates, TheShippedOnesFillEveryKindAndTheSubjectStartsWithTheCaseNumber) {
  auto templates = LoadTemplates(REMISS_SOURCE_DIR "/services/notices/templates");
  ASSERT_TRUE(templates.ok()) << templates.status();
  RoundView view = IssuedRound();
  std::vector<NoticeQueued> all = *NoticesFor(Issued(), view, {});
  for (auto e : {Reminder("bromma-sdn", 14)}) {
    auto r = NoticesFor(e, view, {});
    all.insert(all.end(), r->begin(), r->end());
  }
  for (const auto& n : all) {
    auto r = Render(*templates, n);
    ASSERT_TRUE(r.ok()) << n.notice_id() << ": " << r.status();
    EXPECT_TRUE(absl::StartsWith(r->subject, "KS 2019/1939 ")) << r->subject;
    EXPECT_TRUE(absl::StrContains(r->text, "26 februari 2021")) << r->text;
  }
}

TEST(Templates, AnUnknownFieldOrAMissingSubjectIsAnError) {
  EXPECT_FALSE(ParseTemplate("Hej {{title}}\n", "<p>x</p>").ok());
  auto t = ParseTemplate("Ämne: {{case_number}} {{titel}}\n\nText\n", "<p>{{title}}</p>");
  ASSERT_TRUE(t.ok());
  Templates templates;
  templates.by_kind["round"] = *t;
  NoticeQueued n;
  n.set_kind(remiss::v1::NOTICE_KIND_ROUND);
  n.set_case_number("KS 2019/1939");
  (*n.mutable_fields())["case_number"] = "KS 2019/1939";
  (*n.mutable_fields())["title"] = "<Trygghet & säkerhet>";
  auto r = Render(templates, n);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "{{titel}}"));
  templates.by_kind["round"] = *ParseTemplate("Ämne: Remiss {{title}}\n\nText\n", "<p>{{title}}</p>");
  r = Render(templates, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->subject, "KS 2019/1939 Remiss <Trygghet & säkerhet>");  // the case number first
  EXPECT_EQ(r->html, "<p>&lt;Trygghet &amp; säkerhet&gt;</p>");
}

TEST(Message, HeadersAndRfc2047SubjectTheSameBytesOnEveryBuild) {
  MessageParts p{.from_address = "remiss@stockholm.se",
                 .from_name = "Remisstjänsten",
                 .to_address = "registrator@bromma.example",
                 .to_name = "Bromma stadsdelsnämnd",
                 .subject = "KS 2019/1939 Påminnelse: svar senast 26 februari 2021 om Stockholms stads trygghetsprogram",
                 .text = "Hej\nrad två",
                 .html = "<p>Hej</p>",
                 .message_id = "<notice.notices-7@stockholm.se>",
                 .case_number = "KS 2019/1939",
                 .notice_id = "reminder.ks-2019-1939.bromma-sdn.2021-02-26.3",
                 .date = absl::FromUnixSeconds(1613037600)};
  const std::string m = BuildMessage(p);
  EXPECT_EQ(m, BuildMessage(p));
  EXPECT_TRUE(absl::StrContains(m, "\r\nMessage-ID: <notice.notices-7@stockholm.se>\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "\r\nAuto-Submitted: auto-generated\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "\r\nX-Remiss-Case: KS 2019/1939\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "Date: Thu, 11 Feb 2021 10:00:00 +0000\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "Content-Type: multipart/alternative;"));
  // The subject: encoded words of whole characters, each at most 75 long, folded.
  const size_t start = m.find("Subject: ") + 9;
  const std::string subject = m.substr(start, m.find("\r\nDate:") - start);
  std::string decoded;
  for (absl::string_view word : absl::StrSplit(subject, "\r\n ")) {
    ASSERT_LE(word.size(), 75u);
    ASSERT_TRUE(absl::StartsWith(word, "=?UTF-8?B?") && absl::EndsWith(word, "?=")) << word;
    std::string bytes;
    ASSERT_TRUE(absl::Base64Unescape(word.substr(10, word.size() - 12), &bytes));
    decoded += bytes;
  }
  EXPECT_EQ(decoded, p.subject);
  EXPECT_EQ(EncodeHeaderText("KS 2019/1939 Remiss", 9), "KS 2019/1939 Remiss");
  for (absl::string_view line : absl::StrSplit(m, "\r\n")) EXPECT_LE(line.size(), 998u);
}

}  // namespace
}  // namespace remiss::notices
