// The notices service against a real SMTP server (mailpit, on loopback) with remissd as a
// user runs it: the seed rounds reach every addressee once, reminders come on their days and
// stop at an answer, receipts once; 451s for half the recipients still deliver every notice
// once; a 550 parks a notice until an operator's retry; a kill -9 during a batch of 500
// loses none and repeats only what the server accepted before the crash, with the same
// Message-ID; the projections rebuild to the same digest. Prints the delivery rate and the
// median delay from a reminder to the message in mailpit.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/notices.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "tests/integration/kafka_broker.h"
#include "tests/notices/mail_support.h"
#include "tests/notices/notices_server.h"
#include "tests/support/temp_dir.h"
#include "tools/seed/seed_scenario.h"

namespace remiss::testing {
namespace {

using namespace remiss::v1;

// Messages by their Message-ID (mailpit's, without the angle brackets).
std::map<std::string, int> ByMessageId(const std::vector<nlohmann::json>& messages) {
  std::map<std::string, int> out;
  for (const auto& m : messages) ++out[m.value("MessageID", "")];
  return out;
}

absl::Time CreatedAt(const nlohmann::json& m) {
  absl::Time t;
  std::string err;
  absl::ParseTime(absl::RFC3339_full, m.value("Created", ""), &t, &err);
  return t;
}

std::string Bare(const std::string& message_id) { return message_id.substr(1, message_id.size() - 2); }

// The reminders mailed to each body are the reminders the deadlines service issued to it (its
// days_before, in order): the notices service adds none and drops none (the deadlines service
// issues none after an answer).
void ExpectRemindersMirrorDeadlines(Remissd& deadlines, Remissd& notices) {
  for (const std::string referral_id : {"ks-2019-1939", "ks-2023-739"}) {
    std::map<std::string, std::vector<int>> mailed;
    for (const Notice& n : notices.List(referral_id)) {
      if (n.kind() != NOTICE_KIND_REMINDER) continue;
      std::vector<std::string> parts = absl::StrSplit(n.notice_id(), '.');
      int days = 0;
      ASSERT_TRUE(parts.size() == 5 && absl::SimpleAtoi(parts[4], &days)) << n.notice_id();
      mailed[n.org_id()].push_back(days);
    }
    ListDeadlinesForRoundRequest r;
    r.set_referral_id(referral_id);
    ListDeadlinesResponse list;
    grpc::Status s = deadlines.deadlines()->ListDeadlinesForRound(Ks().get(), r, &list);
    ASSERT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, std::vector<int>> issued;
    for (const Deadline& d : list.deadlines()) {
      for (int days : d.reminders_issued()) issued[d.org_id()].push_back(days);
    }
    for (auto* m : {&mailed, &issued}) {
      for (auto& [org, days] : *m) std::sort(days.begin(), days.end());
    }
    EXPECT_EQ(mailed, issued) << referral_id;
  }
}

TEST(NoticesMail, TheSeedRoundsReachEveryAddresseeOnceRemindersOnTheirDaysNoneAfterAnAnswerReceiptsOnce) {
  TempDir dir;
  Mailpit mailpit;
  ASSERT_TRUE(mailpit.Start(dir.path()));
  Remissd server(dir.path(), NoticeArgs(mailpit, {"--manual-clock", "2020-12-01T09:00:00+01:00"}));
  ASSERT_TRUE(server.Start());
  seed::Cluster cluster(seed::Addresses::OneServer(server.address()));
  absl::Status played = seed::PlayBothRounds(cluster);
  ASSERT_TRUE(played.ok()) << played << "\n" << server.Log().substr(0, 4000);
  ASSERT_TRUE(server.AwaitFeeds());

  std::map<std::string, std::string> mailbox;  // org -> its registry mailbox at the end
  for (const auto& org : seed::Organizations()) mailbox[org.id] = org.registry_mailbox;
  mailbox[seed::kSocial] = seed::kSocialMailbox;

  size_t delivered = 0;
  for (const std::string referral_id : {"ks-2019-1939", "ks-2023-739"}) {
    StatusBoard board;
    GetStatusBoardRequest b;
    b.set_referral_id(referral_id);
    ASSERT_TRUE(server.followup()->GetStatusBoard(Ks().get(), b, &board).ok());
    ASSERT_GT(board.rows_size(), 0);
    std::vector<Notice> list = server.List(referral_id);
    ASSERT_TRUE(server.AwaitSettled(referral_id, list.size()));
    list = server.List(referral_id);
    std::map<std::string, std::vector<Notice>> by_kind_org;
    for (const Notice& n : list) {
      EXPECT_EQ(n.state(), NOTICE_STATE_DELIVERED) << n.notice_id() << ": " << n.last_reply();
      EXPECT_EQ(n.message_id(), absl::StrCat("<notice.", n.event_id(), "@stockholm.example>"));
      EXPECT_TRUE(absl::StartsWith(n.last_reply(), "250")) << n.last_reply();
      by_kind_org[absl::StrCat(NoticeKind_Name(n.kind()), "/", n.org_id())].push_back(n);
      ++delivered;
    }
    for (const BoardRow& row : board.rows()) {
      SCOPED_TRACE(absl::StrCat(referral_id, " ", row.org_id()));
      // The round, once, to the registry mailbox.
      const auto& round = by_kind_org[absl::StrCat("NOTICE_KIND_ROUND/", row.org_id())];
      ASSERT_EQ(round.size(), 1u);
      EXPECT_EQ(round[0].recipient(), mailbox[row.org_id()]);
      // Reminders: never before 08:00 Stockholm on their day, never after the board's answer.
      for (const Notice& n : by_kind_org[absl::StrCat("NOTICE_KIND_REMINDER/", row.org_id())]) {
        std::vector<std::string> parts = absl::StrSplit(n.notice_id(), '.');
        ASSERT_EQ(parts.size(), 5u) << n.notice_id();
        int days = 0;
        ASSERT_TRUE(absl::SimpleAtoi(parts[4], &days));
        auto effective = core::ParseCivilDate("date", parts[3]);
        ASSERT_TRUE(effective.ok());
        const absl::Time due = absl::FromCivil(absl::CivilSecond(*effective - days) + 8 * 3600, seed::Stockholm());
        EXPECT_GE(core::FromTimestamp(n.cause_recorded_at()), due) << n.notice_id();
        // (At the same instant at most: the manual clock stands still while a day's steps run,
        // and the scheduler may fire a reminder at the instant of the answer, not knowing it.)
        if (row.has_submitted_at()) {
          EXPECT_LE(core::FromTimestamp(n.cause_recorded_at()), core::FromTimestamp(row.submitted_at()))
              << n.notice_id() << " came after the answer";
        }
      }
      // The receipt: once when KS has the answer, none without one.
      const auto& receipt = by_kind_org[absl::StrCat("NOTICE_KIND_RECEIPT/", row.org_id())];
      EXPECT_EQ(receipt.size(), row.stage() == "submitted" ? 1u : 0u) << row.stage();
    }
  }
  ExpectRemindersMirrorDeadlines(server, server);
  // Reminders went out in the seed rounds (bodies that had not answered 14 days before).
  std::vector<Notice> first = server.List("ks-2019-1939");
  EXPECT_TRUE(std::any_of(first.begin(), first.end(), [](const Notice& n) { return n.kind() == NOTICE_KIND_REMINDER; }));
  EXPECT_TRUE(std::any_of(first.begin(), first.end(), [](const Notice& n) { return n.kind() == NOTICE_KIND_OVERDUE; }));
  std::map<std::string, int> kinds;
  for (const std::string referral_id : {"ks-2019-1939", "ks-2023-739"}) {
    for (const Notice& n : server.List(referral_id)) ++kinds[NoticeKind_Name(n.kind())];
  }
  std::cout << "seed rounds, notices delivered:";
  for (const auto& [kind, count] : kinds) std::cout << " " << kind << "=" << count;
  std::cout << "\n";
  // Every notice is in mailpit exactly once, under its Message-ID.
  std::vector<nlohmann::json> messages = mailpit.Messages();
  EXPECT_EQ(messages.size(), delivered);
  for (const auto& [id, count] : ByMessageId(messages)) EXPECT_EQ(count, 1) << id;
  // What a registry files by.
  const Notice& round = *std::find_if(first.begin(), first.end(), [](const Notice& n) {
    return n.notice_id() == "round.ks-2019-1939.bromma-sdn";
  });
  for (const auto& m : messages) {
    if (m.value("MessageID", "") != Bare(round.message_id())) continue;
    EXPECT_TRUE(absl::StartsWith(m.value("Subject", ""), "KS 2019/1939 Remiss: ")) << m.value("Subject", "");
    const std::string raw = mailpit.Raw(m.value("ID", ""));
    EXPECT_TRUE(absl::StrContains(raw, "Auto-Submitted: auto-generated\r\n")) << raw.substr(0, 800);
    EXPECT_TRUE(absl::StrContains(raw, "X-Remiss-Case: KS 2019/1939\r\n"));
    EXPECT_TRUE(absl::StrContains(raw, "To: \"Bromma stadsdelsn") || absl::StrContains(raw, "To: =?UTF-8?B?"));
  }
}

// A quarter, not a half: the backoff doubles from 100 ms, so a notice refused ten times in a
// row waits 100 s in all, and at a half that happened to one of the 30 in about one run in 30
// (the wait below is 120 s); at a quarter, about one in 30,000.
TEST(NoticesMail, With451ForAQuarterOfTheRecipientsEveryNoticeIsDeliveredOnceAndTheDeferralsAreRecorded) {
  TempDir dir;
  Mailpit mailpit;
  ASSERT_TRUE(mailpit.Start(dir.path()));
  ASSERT_TRUE(mailpit.RecipientChaos(451, 25));
  Remissd server(dir.path(), NoticeArgs(mailpit));
  ASSERT_TRUE(server.Start());
  ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2024/451", 30, "2030-06-28"));
  ASSERT_TRUE(server.AwaitSettled("ks-2024-451", 30));
  std::vector<Notice> list = server.List("ks-2024-451");
  ASSERT_EQ(list.size(), 30u);
  uint32_t deferrals = 0;
  for (const Notice& n : list) {
    EXPECT_EQ(n.state(), NOTICE_STATE_DELIVERED);
    deferrals += n.deferrals();
  }
  EXPECT_GT(deferrals, 0u) << "no NoticeDeferred recorded under 451 for a quarter of the recipients";
  std::map<std::string, int> ids = ByMessageId(mailpit.Messages());
  EXPECT_EQ(ids.size(), 30u);
  for (const Notice& n : list) EXPECT_EQ(ids[Bare(n.message_id())], 1) << n.notice_id();
  std::cout << "451 chaos: 30 notices delivered after " << deferrals << " deferrals\n";
}

TEST(NoticesMail, A550ParksTheNoticeAndAnOperatorsRetryDeliversIt) {
  TempDir dir;
  Mailpit mailpit;
  ASSERT_TRUE(mailpit.Start(dir.path()));
  ASSERT_TRUE(mailpit.RecipientChaos(550, 100));
  Remissd server(dir.path(), NoticeArgs(mailpit));
  ASSERT_TRUE(server.Start());
  ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2024/550", 2, "2030-06-28"));
  ASSERT_TRUE(server.AwaitSettled("ks-2024-550", 2));
  std::vector<Notice> list = server.List("ks-2024-550");
  ASSERT_EQ(list.size(), 2u);
  for (const Notice& n : list) {
    EXPECT_EQ(n.state(), NOTICE_STATE_PARKED);
    EXPECT_EQ(n.last_code(), 550);
    EXPECT_TRUE(absl::StartsWith(n.last_reply(), "550")) << n.last_reply();
  }
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(mailpit.Count(), 0u);
  ASSERT_TRUE(mailpit.RecipientChaos(550, 0));  // the mailbox is fixed

  CommandResult r;
  RetryNoticeRequest retry;
  retry.set_command_id("retry-1");
  retry.set_notice_id(list[0].notice_id());
  retry.set_reason("the registry's mailbox is back");
  grpc::Status s = server.notices()->RetryNotice(Operator().get(), retry, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(server.AwaitSettled("ks-2024-550", 2));
  list = server.List("ks-2024-550");
  EXPECT_EQ(list[0].state(), NOTICE_STATE_DELIVERED);
  EXPECT_EQ(list[0].attempts(), 2u);
  EXPECT_EQ(list[1].state(), NOTICE_STATE_PARKED);
  EXPECT_EQ(ByMessageId(mailpit.Messages()), (std::map<std::string, int>{{Bare(list[0].message_id()), 1}}));

  // A delivered notice is not retried; a skip needs a reason and then the notice stays unsent.
  retry.set_command_id("retry-2");
  s = server.notices()->RetryNotice(Operator().get(), retry, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "notice_id:")) << s.error_message();
  SkipNoticeRequest skip;
  skip.set_command_id("skip-1");
  skip.set_notice_id(list[1].notice_id());
  s = server.notices()->SkipNotice(Operator().get(), skip, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "reason:")) << s.error_message();
  skip.set_reason("the board was merged into another");
  ASSERT_TRUE(server.notices()->SkipNotice(Operator().get(), skip, &r).ok());
  EXPECT_EQ(server.List("ks-2024-550")[1].state(), NOTICE_STATE_SKIPPED);
}

TEST(NoticesMail, AKillDuringABatchOf500LosesNoneAndRepeatsOnlyWhatWasAcceptedWithItsMessageId) {
  TempDir dir;
  Mailpit mailpit;
  ASSERT_TRUE(mailpit.Start(dir.path()));
  Remissd server(dir.path(), NoticeArgs(mailpit));
  ASSERT_TRUE(server.Start());
  ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2024/500", 500, "2030-06-28"));
  // Kill -9 once a fifth has arrived.
  const absl::Time start = absl::Now();
  absl::Time first_seen = absl::InfiniteFuture();
  size_t at_kill = 0;
  while (absl::Now() < start + absl::Seconds(120)) {
    at_kill = mailpit.Count();
    if (at_kill > 0 && first_seen == absl::InfiniteFuture()) first_seen = absl::Now();
    if (at_kill >= 100) break;
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_GE(at_kill, 100u);
  ASSERT_LT(at_kill, 500u) << "the batch was over before the kill";
  const absl::Time killed = absl::Now();
  server.Kill9();
  const size_t after_kill = mailpit.Count();
  ASSERT_TRUE(server.Start());
  const absl::Time restarted = absl::Now();
  ASSERT_TRUE(server.AwaitSettled("ks-2024-500", 500));
  const absl::Duration rest = absl::Now() - restarted;
  std::vector<Notice> list = server.List("ks-2024-500");
  ASSERT_EQ(list.size(), 500u);
  for (const Notice& n : list) EXPECT_EQ(n.state(), NOTICE_STATE_DELIVERED) << n.notice_id();
  std::vector<nlohmann::json> messages = mailpit.Messages();
  std::map<std::string, int> ids = ByMessageId(messages);
  EXPECT_EQ(ids.size(), 500u) << "a notice was lost";
  int duplicates = 0;
  for (const Notice& n : list) {
    const int copies = ids[Bare(n.message_id())];
    EXPECT_GE(copies, 1) << n.notice_id();
    EXPECT_LE(copies, 2) << n.notice_id();
    if (copies == 2) {
      ++duplicates;
      std::cout << "duplicate after the crash: " << n.notice_id() << ", both copies Message-ID "
                << n.message_id() << "\n";
    }
  }
  // Only a message the server accepted before the kill and not yet recorded is sent twice:
  // one sender, one message at a time, each 250 recorded before the next.
  EXPECT_LE(duplicates, 1);
  EXPECT_EQ(messages.size(), 500u + duplicates);
  std::cout << "kill -9 with " << at_kill << " of 500 in mailpit (" << after_kill
            << " when it died); after the restart all 500 delivered, " << duplicates
            << " duplicate(s) sharing their Message-ID\n";
  std::cout << "delivery rate before the kill: " << at_kill / absl::ToDoubleSeconds(killed - first_seen)
            << " notices/s to mailpit (" << at_kill << " in " << absl::FormatDuration(killed - first_seen) << ")\n";
  std::cout << "delivery rate after the restart: " << (500.0 - after_kill) / absl::ToDoubleSeconds(rest)
            << " notices/s to mailpit (" << 500 - after_kill << " in " << absl::FormatDuration(rest) << ")\n";

  // The projections rebuild from the log to the same digest.
  GetProjectionDigestRequest dr;
  dr.set_service("notices");
  ProjectionDigest before, rebuilt;
  ASSERT_TRUE(server.admin()->GetProjectionDigest(Operator().get(), dr, &before).ok());
  RebuildProjectionsRequest rr;
  rr.set_service("notices");
  grpc::Status s = server.admin()->RebuildProjections(Operator().get(), rr, &rebuilt);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rebuilt.sha256(), before.sha256());
  EXPECT_EQ(rebuilt.entries(), before.entries());
}

TEST(NoticesMail, ADeathBetweenTheServers250AndItsRecordSendsThatNoticeTwiceUnderOneMessageId) {
  TempDir dir;
  Mailpit mailpit;
  ASSERT_TRUE(mailpit.Start(dir.path()));
  Remissd server(dir.path(), NoticeArgs(mailpit), REMISSD_FAULT_POINTS);
  // The 30th message the server accepts: the process dies before recording it.
  setenv("REMISS_FAULT_POINT", "notices.after_accept:30", 1);
  const bool started = server.Start();
  unsetenv("REMISS_FAULT_POINT");
  ASSERT_TRUE(started);
  ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2024/1047", 60, "2030-06-28"));
  for (int i = 0; i < 1200 && server.running(); ++i) absl::SleepFor(absl::Milliseconds(50));
  ASSERT_FALSE(server.running()) << "the fault point was not reached";
  EXPECT_EQ(mailpit.Count(), 30u);
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(server.AwaitSettled("ks-2024-1047", 60));
  std::map<std::string, int> ids = ByMessageId(mailpit.Messages());
  EXPECT_EQ(ids.size(), 60u);
  std::vector<std::string> twice;
  for (const Notice& n : server.List("ks-2024-1047")) {
    EXPECT_EQ(n.state(), NOTICE_STATE_DELIVERED);
    if (ids[Bare(n.message_id())] == 2) twice.push_back(n.notice_id() + " " + n.message_id());
  }
  ASSERT_EQ(twice.size(), 1u) << "RFC 1047: only the message accepted and not recorded is sent again";
  EXPECT_EQ(mailpit.Count(), 61u);
  std::cout << "sent twice after a death between 250 and its record (same Message-ID both times): " << twice[0]
            << "\n";
}

TEST(NoticesMail, OverStartTlsWithAuthTheNoticesGoAWrongPasswordParksThemUntilARetry) {
  TempDir dir;
  const std::string pki = dir.path() + "/pki";
  const std::string make = absl::StrCat(REMISS_SOURCE_DIR, "/tools/pki.sh ca ", pki, " >/dev/null && ", REMISS_SOURCE_DIR,
                                        "/tools/pki.sh server ", pki, " mail 127.0.0.1 >/dev/null");
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  {
    std::ofstream(dir.path() + "/auth") << "remiss:hemligt\n";
    std::ofstream(dir.path() + "/right") << "hemligt\n";
    std::ofstream(dir.path() + "/wrong") << "fel\n";
  }
  Mailpit mailpit;  // STARTTLS required, AUTH required
  ASSERT_TRUE(mailpit.Start(dir.path(), {"--smtp-tls-cert", pki + "/mail.pem", "--smtp-tls-key", pki + "/mail.key",
                                         "--smtp-require-starttls", "--smtp-auth-file", dir.path() + "/auth"}));
  auto args = [&](const std::string& password) {
    return NoticeArgs(mailpit, {"--smtp-user", "remiss", "--smtp-password-file", dir.path() + "/" + password,
                                "--smtp-ca", pki + "/ca.pem"});
  };
  {
    Remissd server(dir.path(), args("wrong"));
    ASSERT_TRUE(server.Start());
    ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2024/535", 2, "2030-06-28"));
    ASSERT_TRUE(server.AwaitSettled("ks-2024-535", 2));
    for (const Notice& n : server.List("ks-2024-535")) {
      EXPECT_EQ(n.state(), NOTICE_STATE_PARKED);
      EXPECT_EQ(n.last_code(), 535) << n.last_reply();
    }
    server.Stop();
  }
  EXPECT_EQ(mailpit.Count(), 0u);
  Remissd server(dir.path(), args("right"));
  ASSERT_TRUE(server.Start());
  for (const Notice& n : server.List("ks-2024-535")) {
    RetryNoticeRequest retry;
    retry.set_command_id("retry-" + n.notice_id());
    retry.set_notice_id(n.notice_id());
    retry.set_reason("the password is fixed");
    CommandResult r;
    grpc::Status s = server.notices()->RetryNotice(Operator().get(), retry, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_TRUE(server.AwaitSettled("ks-2024-535", 2));
  for (const Notice& n : server.List("ks-2024-535")) EXPECT_EQ(n.state(), NOTICE_STATE_DELIVERED) << n.last_reply();
  std::vector<nlohmann::json> messages = mailpit.Messages();
  ASSERT_EQ(messages.size(), 2u);
  for (const auto& m : messages) EXPECT_EQ(m.value("Username", ""), "remiss");  // over STARTTLS, authenticated
}

TEST(NoticesMail, RemindersReachMailpitSoonAfterTheirTimeComes) {
  TempDir dir;
  Mailpit mailpit;
  ASSERT_TRUE(mailpit.Start(dir.path()));
  Remissd server(dir.path(), NoticeArgs(mailpit, {"--manual-clock", "2021-02-01T09:00:00+01:00"}));
  ASSERT_TRUE(server.Start());
  ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2021/14", 50, "2021-02-26"));
  ASSERT_TRUE(server.AwaitSettled("ks-2021-14", 50));
  ASSERT_EQ(mailpit.Count(), 50u);
  // 14 days before Friday 26 February: Friday 12 February, 08:00.
  SetClockRequest clock;
  *clock.mutable_to() = core::ToTimestamp(absl::FromCivil(absl::CivilSecond(2021, 2, 12, 8, 0, 1), seed::Stockholm()));
  ClockState state;
  const absl::Time t0 = absl::Now();
  ASSERT_TRUE(server.admin()->SetClock(Operator().get(), clock, &state).ok());
  while (mailpit.Count() < 100 && absl::Now() < t0 + absl::Seconds(60)) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE(server.AwaitSettled("ks-2021-14", 100));
  std::vector<double> delays;
  for (const auto& m : mailpit.Messages()) {
    if (absl::StrContains(m.value("Subject", ""), "Påminnelse")) delays.push_back(absl::ToDoubleMilliseconds(CreatedAt(m) - t0));
  }
  ASSERT_EQ(delays.size(), 50u);
  std::sort(delays.begin(), delays.end());
  std::cout << "reminder event to message in mailpit: median " << delays[delays.size() / 2] << " ms, max "
            << delays.back() << " ms over " << delays.size() << " reminders\n";
  for (const Notice& n : server.List("ks-2021-14")) {
    if (n.kind() != NOTICE_KIND_REMINDER) continue;
    EXPECT_EQ(core::StockholmDate(core::FromTimestamp(n.cause_recorded_at())), absl::CivilDay(2021, 2, 12));
  }
}


// What a run's notices say, comparable across runs: id -> "kind recipient state".
std::map<std::string, std::string> Summary(Remissd& server) {
  std::map<std::string, std::string> out;
  for (const std::string referral_id : {"ks-2019-1939", "ks-2023-739"}) {
    for (const Notice& n : server.List(referral_id)) {
      out[n.notice_id()] = absl::StrCat(NoticeKind_Name(n.kind()), " ", n.recipient(), " ", NoticeState_Name(n.state()));
    }
  }
  return out;
}

// The summary once it has held still (none pending) for two seconds.
std::map<std::string, std::string> StableSummary(Remissd& server) {
  std::map<std::string, std::string> last;
  absl::Time since = absl::Now();
  const absl::Time until = absl::Now() + absl::Seconds(180);
  while (absl::Now() < until) {
    std::map<std::string, std::string> now = Summary(server);
    bool pending = false;
    for (const auto& [id, what] : now) {
      pending |= absl::StrContains(what, "QUEUED") || absl::StrContains(what, "DEFERRED");
    }
    if (now != last || pending) {
      last = std::move(now);
      since = absl::Now();
    } else if (absl::Now() - since > absl::Seconds(2)) {
      return last;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ADD_FAILURE() << "the notices did not settle";
  return last;
}

// All but the reminders: whether a reminder is due before or after a board's answer on the
// day the scenario answers depends on when the deadlines scheduler's tick falls, in remissd
// as over Kafka (ExpectRemindersMirrorDeadlines checks them against each run's deadlines).
std::map<std::string, std::string> WithoutReminders(std::map<std::string, std::string> summary) {
  std::erase_if(summary, [](const auto& kv) { return absl::StartsWith(kv.first, "reminder."); });
  return summary;
}

// Waits until the notices service holds `count` notices over the seed rounds, none pending.
::testing::AssertionResult AwaitSeedNotices(Remissd& server, size_t count) {
  const absl::Time until = absl::Now() + absl::Seconds(180);
  size_t seen = 0, pending = 0;
  while (absl::Now() < until) {
    seen = pending = 0;
    for (const std::string referral_id : {"ks-2019-1939", "ks-2023-739"}) {
      for (const Notice& n : server.List(referral_id)) {
        ++seen;
        pending += n.state() == NOTICE_STATE_QUEUED || n.state() == NOTICE_STATE_DEFERRED;
      }
    }
    if (seen >= count && pending == 0) return ::testing::AssertionSuccess();
    absl::SleepFor(absl::Milliseconds(100));
  }
  return ::testing::AssertionFailure() << seen << " of " << count << " notices, " << pending << " pending\n"
                                       << server.Log().substr(0, 6000);
}

TEST(NoticesMail, OverKafkaTheSameNoticesAsInRemissdAndARestoreFromKafkaGivesTheSameDigest) {
  TempDir dir;
  // In one remissd: the seed rounds' notices.
  std::map<std::string, std::string> embedded;
  {
    std::filesystem::create_directories(dir.path() + "/one");
    Mailpit mailpit;
    ASSERT_TRUE(mailpit.Start(dir.path() + "/one"));
    Remissd server(dir.path() + "/one", NoticeArgs(mailpit, {"--manual-clock", "2020-12-01T09:00:00+01:00"}));
    ASSERT_TRUE(server.Start());
    seed::Cluster cluster(seed::Addresses::OneServer(server.address()));
    absl::Status played = seed::PlayBothRounds(cluster);
    ASSERT_TRUE(played.ok()) << played;
    ASSERT_TRUE(server.AwaitFeeds());
    embedded = StableSummary(server);
    ExpectRemindersMirrorDeadlines(server, server);
    server.Stop();
  }
  ASSERT_GT(embedded.size(), 20u);

  // Over Kafka: remissd without notices publishes the services' topics; remiss-notices, its
  // own process with its own disk, follows them and mails another mailpit.
  auto broker = KafkaBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::string brokers = (*broker)->bootstrap();
  std::filesystem::create_directories(dir.path() + "/services");
  std::filesystem::create_directories(dir.path() + "/notices");
  Mailpit mailpit;
  ASSERT_TRUE(mailpit.Start(dir.path() + "/notices"));
  Remissd services(dir.path() + "/services",
                   {"--manual-clock", "2020-12-01T09:00:00+01:00", "--kafka-brokers", brokers});
  ASSERT_TRUE(services.Start());
  Remissd notices(dir.path() + "/notices", NoticeArgs(mailpit, {"--kafka-brokers", brokers}), REMISS_NOTICES);
  ASSERT_TRUE(notices.Start());
  seed::Cluster cluster(seed::Addresses::OneServer(services.address()));
  absl::Status played = seed::PlayBothRounds(cluster);
  ASSERT_TRUE(played.ok()) << played;
  ASSERT_TRUE(AwaitSeedNotices(notices, WithoutReminders(embedded).size()));
  const std::map<std::string, std::string> over_kafka = StableSummary(notices);
  EXPECT_EQ(WithoutReminders(over_kafka), WithoutReminders(embedded));
  ExpectRemindersMirrorDeadlines(services, notices);
  std::map<std::string, int> ids = ByMessageId(mailpit.Messages());
  EXPECT_EQ(ids.size(), over_kafka.size());
  for (const auto& [id, count] : ids) EXPECT_EQ(count, 1) << id;

  // Its disk is lost; restored from its topic it has the same digest and sends nothing again.
  GetProjectionDigestRequest dr;
  dr.set_service("notices");
  ProjectionDigest before, after;
  ASSERT_TRUE(notices.admin()->GetProjectionDigest(Operator().get(), dr, &before).ok());
  const size_t mailed = mailpit.Count();
  notices.Stop();
  std::filesystem::remove_all(dir.path() + "/notices/data");
  Remissd restored(dir.path() + "/notices", NoticeArgs(mailpit, {"--kafka-brokers", brokers, "--restore-from-kafka"}),
                   REMISS_NOTICES);
  ASSERT_TRUE(restored.Start());
  grpc::Status s;
  for (int i = 0; i < 300; ++i) {
    s = restored.admin()->GetProjectionDigest(Operator().get(), dr, &after);
    if (s.ok() && after.log_position() >= before.log_position()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(after.sha256(), before.sha256());
  EXPECT_EQ(after.log_position(), before.log_position());
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(mailpit.Count(), mailed) << "a restored notices service sent again what it had delivered";
  EXPECT_EQ(Summary(restored), over_kafka);
  std::cout << "over Kafka: " << over_kafka.size() << " notices (remissd: " << embedded.size()
            << "), the same but for reminders timed by the scheduler's tick; restored from "
            << "remiss.notices.events.v1 to digest " << after.sha256().substr(0, 12) << " at position "
            << after.log_position() << "\n";
}

}  // namespace
}  // namespace remiss::testing
