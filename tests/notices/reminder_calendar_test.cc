// Reminders across weekends and Swedish holidays, in Stockholm time, as a registry sees them in
// a real mailpit. Two rounds with the working-day rule and the default reminder policy
// (14 and 3 days before the deadline that counts, and 1 day after it, at 08:00 Stockholm):
//   KS 2025/418, deadline Första maj (Thursday 1 May 2025, a public holiday) -> Friday 2 May;
//     reminders Långfredagen (Friday 18 April, a public holiday), Tuesday 29 April and
//     Saturday 3 May; the round issued in March in winter time (CET), the reminders in summer
//     time (CEST, UTC+2).
//   KS 2025/1224, deadline Trettondedag jul (Tuesday 6 January 2026) -> Wednesday 7 January;
//     reminders julafton (Wednesday 24 December 2025), Sunday 4 January and Thursday 8 January,
//     in winter time (CET, UTC+1).
// The manual clock is driven to one second before each reminder's hour and then to the hour;
// every expected instant below is written out by hand from the calendar, not taken from the
// service. Each board that has not answered gets each reminder exactly once, dated at its
// hour; a board that answered before a reminder (even the same morning, before 08:00) gets
// none of it; nothing is sent twice.
#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <tuple>

#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "remiss/core/base/timestamps.h"
#include "tests/notices/mail_support.h"
#include "tests/notices/notices_server.h"
#include "tests/support/temp_dir.h"

namespace remiss::testing {
namespace {

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << rfc3339 << ": " << err;
  return t;
}

std::string Mailbox(const std::string& board) { return absl::StrCat("registrator@", board, ".stockholm.example"); }

::testing::AssertionResult SetClock(Remissd& server, absl::Time to) {
  SetClockRequest clock;
  *clock.mutable_to() = core::ToTimestamp(to);
  ClockState state;
  grpc::Status s = server.admin()->SetClock(Operator().get(), clock, &state);
  if (!s.ok()) return ::testing::AssertionFailure() << "SetClock " << absl::FormatTime(to) << ": " << s.error_message();
  return ::testing::AssertionSuccess();
}

// The header `name` of a raw message ("" when absent).
std::string Header(const std::string& raw, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(raw, "\r\n")) {
    if (line.empty()) break;  // the headers end
    if (absl::StartsWithIgnoreCase(line, name + ":")) {
      return std::string(absl::StripAsciiWhitespace(line.substr(name.size() + 1)));
    }
  }
  return "";
}

// A reminder as mailpit holds it: to whom, the subject, and the instant its Date header says.
struct Mailed {
  std::string to, subject;
  absl::Time date;
  bool operator<(const Mailed& o) const { return std::tie(to, date, subject) < std::tie(o.to, o.date, o.subject); }
  bool operator==(const Mailed& o) const { return to == o.to && date == o.date && subject == o.subject; }
};
std::ostream& operator<<(std::ostream& os, const Mailed& m) {
  return os << m.to << " " << absl::FormatTime(absl::RFC3339_sec, m.date, absl::UTCTimeZone()) << " \"" << m.subject
            << "\"";
}

// Every reminder in mailpit (its subject says "Påminnelse"), as a sorted list: a repeat shows.
std::vector<Mailed> RemindersInMailpit(const Mailpit& mailpit) {
  std::vector<Mailed> out;
  for (const nlohmann::json& m : mailpit.Messages()) {
    const std::string subject = m.value("Subject", "");
    if (!absl::StrContains(subject, "Påminnelse")) continue;
    Mailed mailed{.subject = subject};
    for (const auto& to : m["To"]) mailed.to = to.value("Address", "");
    const std::string date = Header(mailpit.Raw(m.value("ID", "")), "Date");
    std::string err;
    EXPECT_TRUE(absl::ParseTime("%a, %d %b %Y %H:%M:%S %z", date, &mailed.date, &err)) << date << ": " << err;
    out.push_back(std::move(mailed));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Waits until the notices service has taken in every fact and nothing waits to be mailed.
::testing::AssertionResult Settled(Remissd& server, const std::vector<std::string>& referrals) {
  if (auto fed = server.AwaitFeeds(); !fed) return fed;
  for (const std::string& referral_id : referrals) {
    if (auto settled = server.AwaitSettled(referral_id, 0); !settled) return settled;
  }
  return ::testing::AssertionSuccess();
}

// Holds the clock at `to` long enough for the deadlines scheduler (it looks every 100 ms) to
// fire what is due, then waits for the notices to be mailed.
::testing::AssertionResult HoldClockAt(Remissd& server, absl::Time to, const std::vector<std::string>& referrals) {
  if (auto set = SetClock(server, to); !set) return set;
  if (auto settled = Settled(server, referrals); !settled) return settled;
  absl::SleepFor(absl::Milliseconds(500));
  return Settled(server, referrals);
}

// The board answers on the clock's day: registered, its statement, a delegation decision, submitted.
void Submit(Remissd& server, const std::string& referral_id, const std::string& board, const std::string& day) {
  auto responses = server.responses();
  CommandResult r;
  const std::string p = absl::StrCat(referral_id, "-", board, "-");
  RegisterResponseRequest reg;
  reg.set_command_id(p + "register");
  reg.set_referral_id(referral_id);
  reg.set_org_id(board);
  reg.set_diary_number(absl::StrCat("DNR ", board));
  reg.set_registered_on(day);
  grpc::Status s;
  for (int i = 0; i < 200; ++i) {  // the responses service learns of the round from referrals' log
    s = responses->RegisterResponse(As(board, "board").get(), reg, &r);
    if (s.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  RecordStatementRequest statement;
  statement.set_command_id(p + "statement");
  statement.set_referral_id(referral_id);
  statement.set_org_id(board);
  statement.mutable_statement()->set_statement_date(day);
  statement.mutable_statement()->add_proposed_decision("Nämnden överlämnar tjänsteutlåtandet som svar på remissen.");
  statement.mutable_statement()->set_summary("Nämnden är positiv.");
  statement.mutable_statement()->set_standpoint(STANDPOINT_POSITIVE);
  s = responses->RecordStatement(As(board, "board").get(), statement, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  RecordDelegationDecisionRequest decision;
  decision.set_command_id(p + "decision");
  decision.set_referral_id(referral_id);
  decision.set_org_id(board);
  decision.mutable_delegation()->set_decided_by_name("Förvaltningsdirektören");
  decision.mutable_delegation()->set_decided_by_title("Förvaltningsdirektör");
  decision.mutable_delegation()->set_date(day);
  decision.mutable_delegation()->set_decision_text("Svaret lämnas på delegation.");
  s = responses->RecordDelegationDecision(As(board, "board").get(), decision, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  SubmitResponseRequest submit;
  submit.set_command_id(p + "submit");
  submit.set_referral_id(referral_id);
  submit.set_org_id(board);
  s = responses->SubmitResponse(As(board, "board").get(), submit, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

// The board declines (avstår): it has answered.
void Decline(Remissd& server, const std::string& referral_id, const std::string& board, const std::string& day) {
  auto responses = server.responses();
  CommandResult r;
  const std::string p = absl::StrCat(referral_id, "-", board, "-");
  RegisterResponseRequest reg;
  reg.set_command_id(p + "register");
  reg.set_referral_id(referral_id);
  reg.set_org_id(board);
  reg.set_diary_number(absl::StrCat("DNR ", board));
  reg.set_registered_on(day);
  grpc::Status s;
  for (int i = 0; i < 200; ++i) {
    s = responses->RegisterResponse(As(board, "board").get(), reg, &r);
    if (s.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  DeclineResponseRequest decline;
  decline.set_command_id(p + "decline");
  decline.set_referral_id(referral_id);
  decline.set_org_id(board);
  decline.set_reason("Nämnden avstår från att yttra sig.");
  s = responses->DeclineResponse(As(board, "board").get(), decline, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

std::string EffectiveDate(Remissd& server, const std::string& referral_id, const std::string& board) {
  GetDeadlineRequest r;
  r.set_referral_id(referral_id);
  r.set_org_id(board);
  Deadline d;
  grpc::Status s = server.deadlines()->GetDeadline(Ks().get(), r, &d);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return d.effective_date();
}

// One reminder's hour: one second before it nothing new reaches mailpit; at the hour exactly
// the reminders of `to` (each board that has not answered) do, dated at the hour.
void ExpectRemindersAt(Remissd& server, const Mailpit& mailpit, absl::Time hour, const std::vector<Mailed>& to,
                       std::vector<Mailed>& all, const std::vector<std::string>& referrals) {
  SCOPED_TRACE(absl::StrCat("reminders at ", absl::FormatTime(absl::RFC3339_sec, hour, absl::UTCTimeZone())));
  ASSERT_TRUE(HoldClockAt(server, hour - absl::Seconds(1), referrals));
  EXPECT_EQ(RemindersInMailpit(mailpit), all) << "a reminder before its hour";
  ASSERT_TRUE(HoldClockAt(server, hour, referrals));
  all.insert(all.end(), to.begin(), to.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(RemindersInMailpit(mailpit), all);
}

TEST(NoticesReminderCalendar, RemindersOnWeekendsAndHolidaysAtEightStockholmTimeOnceAndNoneAfterAnAnswer) {
  TempDir dir;
  Mailpit mailpit;
  ASSERT_TRUE(mailpit.Start(dir.path()));
  // Winter time: 09:00 CET.
  Remissd server(dir.path(), NoticeArgs(mailpit, {"--manual-clock", "2025-03-20T09:00:00+01:00"}));
  ASSERT_TRUE(server.Start());
  const std::string spring = "ks-2025-418", winter = "ks-2025-1224";
  const std::vector<std::string> rounds = {spring, winter};
  const std::string b1 = "board-001", b2 = "board-002", b3 = "board-003", b4 = "board-004";

  // ---- KS 2025/418: the deadline on Första maj moves to Friday 2 May ----
  ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2025/418", 4, "2025-05-01", /*working_day_rule=*/true));
  ASSERT_TRUE(Settled(server, rounds));
  for (const std::string& b : {b1, b2, b3, b4}) EXPECT_EQ(EffectiveDate(server, spring, b), "2025-05-02") << b;
  const std::string spring_subject = "KS 2025/418 Påminnelse: svar senast 2 maj 2025";
  auto spring_reminder = [&](const std::string& board, const std::string& at) {
    return Mailed{Mailbox(board), spring_subject, At(at)};
  };
  std::vector<Mailed> all;
  EXPECT_EQ(RemindersInMailpit(mailpit), all);

  // Board 3 answers on Monday 7 April, before any reminder.
  ASSERT_TRUE(HoldClockAt(server, At("2025-04-07T10:00:00+02:00"), rounds));
  ASSERT_NO_FATAL_FAILURE(Submit(server, spring, b3, "2025-04-07"));
  // 14 days before Friday 2 May: Långfredagen, Friday 18 April, 08:00 CEST (06:00 UTC).
  ASSERT_NO_FATAL_FAILURE(ExpectRemindersAt(server, mailpit, At("2025-04-18T08:00:00+02:00"),
                                            {spring_reminder(b1, "2025-04-18T06:00:00Z"),
                                             spring_reminder(b2, "2025-04-18T06:00:00Z"),
                                             spring_reminder(b4, "2025-04-18T06:00:00Z")},
                                            all, rounds));
  // Board 2 declines on the morning of the next reminder's day, before 08:00.
  ASSERT_TRUE(HoldClockAt(server, At("2025-04-29T07:30:00+02:00"), rounds));
  ASSERT_NO_FATAL_FAILURE(Decline(server, spring, b2, "2025-04-29"));
  // 3 days before: Tuesday 29 April, 08:00 CEST.
  ASSERT_NO_FATAL_FAILURE(ExpectRemindersAt(server, mailpit, At("2025-04-29T08:00:00+02:00"),
                                            {spring_reminder(b1, "2025-04-29T06:00:00Z"),
                                             spring_reminder(b4, "2025-04-29T06:00:00Z")},
                                            all, rounds));
  // Board 4 answers on the deadline that counts, Friday 2 May (Första maj is past).
  ASSERT_TRUE(HoldClockAt(server, At("2025-05-02T14:00:00+02:00"), rounds));
  ASSERT_NO_FATAL_FAILURE(Submit(server, spring, b4, "2025-05-02"));
  // 1 day after: Saturday 3 May, 08:00 CEST; only board 1 has not answered.
  ASSERT_NO_FATAL_FAILURE(ExpectRemindersAt(server, mailpit, At("2025-05-03T08:00:00+02:00"),
                                            {spring_reminder(b1, "2025-05-03T06:00:00Z")}, all, rounds));

  // ---- KS 2025/1224: the deadline on Trettondedag jul moves to Wednesday 7 January ----
  ASSERT_TRUE(HoldClockAt(server, At("2025-12-01T09:00:00+01:00"), rounds));
  ASSERT_NO_FATAL_FAILURE(IssueRound(server, "KS 2025/1224", 4, "2026-01-06", /*working_day_rule=*/true,
                                     "Stockholms stads trygghetsprogram 2024–2027"));
  ASSERT_TRUE(Settled(server, rounds));
  for (const std::string& b : {b1, b2, b3, b4}) EXPECT_EQ(EffectiveDate(server, winter, b), "2026-01-07") << b;
  const std::string winter_subject = "KS 2025/1224 Påminnelse: svar senast 7 januari 2026";
  auto winter_reminder = [&](const std::string& board, const std::string& at) {
    return Mailed{Mailbox(board), winter_subject, At(at)};
  };
  // Boards 2 and 4 decline in December, before any reminder.
  ASSERT_TRUE(HoldClockAt(server, At("2025-12-10T10:00:00+01:00"), rounds));
  ASSERT_NO_FATAL_FAILURE(Decline(server, winter, b2, "2025-12-10"));
  ASSERT_NO_FATAL_FAILURE(Decline(server, winter, b4, "2025-12-10"));
  // 14 days before Wednesday 7 January: julafton, Wednesday 24 December, 08:00 CET (07:00 UTC).
  ASSERT_NO_FATAL_FAILURE(ExpectRemindersAt(server, mailpit, At("2025-12-24T08:00:00+01:00"),
                                            {winter_reminder(b1, "2025-12-24T07:00:00Z"),
                                             winter_reminder(b3, "2025-12-24T07:00:00Z")},
                                            all, rounds));
  // Board 3 answers between the holidays, Tuesday 30 December.
  ASSERT_TRUE(HoldClockAt(server, At("2025-12-30T11:00:00+01:00"), rounds));
  ASSERT_NO_FATAL_FAILURE(Submit(server, winter, b3, "2025-12-30"));
  // 3 days before: Sunday 4 January 2026, 08:00 CET.
  ASSERT_NO_FATAL_FAILURE(ExpectRemindersAt(server, mailpit, At("2026-01-04T08:00:00+01:00"),
                                            {winter_reminder(b1, "2026-01-04T07:00:00Z")}, all, rounds));
  // 1 day after: Thursday 8 January 2026, 08:00 CET.
  ASSERT_NO_FATAL_FAILURE(ExpectRemindersAt(server, mailpit, At("2026-01-08T08:00:00+01:00"),
                                            {winter_reminder(b1, "2026-01-08T07:00:00Z")}, all, rounds));

  // A month on: nothing more, nothing twice.
  ASSERT_TRUE(HoldClockAt(server, At("2026-02-09T09:00:00+01:00"), rounds));
  const std::vector<Mailed> final = RemindersInMailpit(mailpit);
  EXPECT_EQ(final, all);
  EXPECT_EQ(std::set<Mailed>(final.begin(), final.end()).size(), final.size()) << "a reminder mailed twice";
  EXPECT_EQ(final.size(), 10u);
  std::map<std::string, int> per_board;
  for (const Mailed& m : final) ++per_board[m.to];
  EXPECT_EQ(per_board, (std::map<std::string, int>{{Mailbox(b1), 6}, {Mailbox(b2), 1}, {Mailbox(b3), 1}, {Mailbox(b4), 2}}));
  std::cout << "reminders mailed across Långfredagen, a Saturday, julafton and a Sunday: " << final.size() << "\n";
  absl::TimeZone stockholm;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Stockholm", &stockholm));
  for (const Mailed& m : final) {
    std::cout << "  " << m.to << " " << absl::FormatTime("%a %Y-%m-%d %H:%M %Z", m.date, stockholm) << "\n";
  }
}

}  // namespace
}  // namespace remiss::testing
