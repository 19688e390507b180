// remissctl, the real binary, against a real remissd on a manual clock: what a person and a
// script see.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <tuple>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "remiss/v1/followup.pb.h"
#include "remiss/v1/referrals.pb.h"

namespace {

struct Result {
  int code = -1;
  std::string out, err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RemissctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() /
           ("remissctl-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    ASSERT_NO_FATAL_FAILURE(StartRemissd(dir_ / "data", {}, &pid_, &address_));

    // KS registers itself and two boards, drafts a round, addresses it, issues it.
    for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
             {"org", "register", "ks", "Kommunstyrelsen", "--kind", "kommunstyrelse",
              "--diary-prefix", "KS", "--may-send-rounds"},
             {"org", "register", "bromma-sdn", "Bromma stadsdelsnämnd", "--kind",
              "ORGANIZATION_KIND_STADSDELSNAMND", "--diary-prefix", "BRO"},
             {"org", "register", "sodermalm-sdn", "Södermalms stadsdelsnämnd", "--kind",
              "stadsdelsnamnd", "--diary-prefix", "SÖD"},
             {"referral", "create", "KS 2019/1939", "Stockholms stads trygghetsprogram 2020-2023",
              "ks"},
             {"referral", "add-addressee", "KS 2019/1939", "bromma-sdn"},
             {"referral", "add-addressee", "KS 2019/1939", "sodermalm-sdn"},
             {"referral", "set-deadline", "KS 2019/1939", "2021-02-26", "--working-day-rule"},
             {"referral", "issue", "KS 2019/1939"}}) {
      Result r = Run(cmd);
      ASSERT_EQ(r.code, 0) << r.err;
      ASSERT_NE(r.out.find("ok: "), std::string::npos) << r.out;
    }
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Starts remissd on a free loopback port with its data in `data` (and `extra` flags), on
  // the manual clock; its pid and address.
  static void StartRemissd(const std::filesystem::path& data, const std::vector<std::string>& extra,
                           pid_t* pid, std::string* address) {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    std::vector<std::string> args = {REMISSD, "--listen", "127.0.0.1:0", "--data-dir", data.string(),
                                      "--manual-clock", "2021-02-01T09:00:00+01:00"};
    args.insert(args.end(), extra.begin(), extra.end());
    *pid = fork();
    if (*pid == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(REMISSD, argv.data());
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[512];
    while (fgets(line, sizeof line, f)) {
      std::string l = line;
      const std::string tag = "listening on ";
      if (auto p = l.find(tag); p != std::string::npos) {
        std::string rest = l.substr(p + tag.size());
        *address = rest.substr(0, rest.find_first_of(" \n"));
        break;
      }
    }
    ASSERT_FALSE(address->empty()) << "remissd did not say where it listens";
    // Keep reading its output in the background so it never blocks on a full pipe.
    std::thread([f] {
      char buf[512];
      while (fgets(buf, sizeof buf, f)) {
      }
    }).detach();
  }

  static Result Run(const std::vector<std::string>& args, bool with_server = true) {
    return RunAt(with_server ? address_ : "", args);
  }
  // remissctl against the server at `address` (empty: none given).
  static Result RunAt(const std::string& address, const std::vector<std::string>& args) {
    std::string cmd = Quote(REMISSCTL);
    if (!address.empty()) cmd += " --server " + Quote(address);
    for (const auto& a : args) cmd += " " + Quote(a);
    std::string err = (dir_ / "stderr").string();
    cmd += " 2>" + Quote(err);
    Result r;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = ReadFile(err);
    return r;
  }

  static inline std::filesystem::path dir_;
  static inline pid_t pid_ = -1;
  static inline std::string address_;
};

TEST_F(RemissctlTest, StatusBoardShowsOneRowPerBoard) {
  Result r = Run({"board", "KS 2019/1939"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("KS 2019/1939"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ORG"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DAYS LEFT"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bromma-sdn"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sodermalm-sdn"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2021-02-26"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("awaiting"), std::string::npos) << r.out;
}

TEST_F(RemissctlTest, JsonParsesAsTheResponseMessage) {
  Result r = Run({"board", "KS 2019/1939", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  remiss::v1::StatusBoard board;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &board).ok()) << r.out;
  EXPECT_EQ(board.case_number(), "KS 2019/1939");
  EXPECT_EQ(board.rows_size(), 2);

  Result show = Run({"--json", "referral", "show", "ks-2019-1939"});
  ASSERT_EQ(show.code, 0) << show.err;
  remiss::v1::Referral referral;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(show.out, &referral).ok()) << show.out;
  EXPECT_EQ(referral.status(), remiss::v1::REFERRAL_STATUS_ISSUED);
  EXPECT_EQ(referral.addressees_size(), 2);
}

// Issue 25, finding 5: `org register --may-send-rounds` makes KS the organization whose ks may
// send rounds; an `org update` that does not name it keeps it, one that does changes it.
TEST_F(RemissctlTest, MaySendRoundsIsSetAtRegistrationAndKeptByAnUpdateUnlessGiven) {
  auto show = [&](const std::string& id) {
    Result r = Run({"--json", "org", "show", id});
    EXPECT_EQ(r.code, 0) << r.err;
    remiss::v1::Organization org;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &org).ok()) << r.out;
    return org;
  };
  EXPECT_TRUE(show("ks").may_send_rounds());
  EXPECT_FALSE(show("bromma-sdn").may_send_rounds());
  Result renamed = Run({"org", "update", "ks", "--name", "Kommunstyrelsen i Stockholm", "--kind",
                        "kommunstyrelse", "--diary-prefix", "KS"});
  ASSERT_EQ(renamed.code, 0) << renamed.err;
  EXPECT_TRUE(show("ks").may_send_rounds());
  Result sender = Run({"org", "update", "bromma-sdn", "--name", "Bromma stadsdelsnämnd", "--kind",
                       "stadsdelsnamnd", "--diary-prefix", "BRO", "--may-send-rounds", "true"});
  ASSERT_EQ(sender.code, 0) << sender.err;
  EXPECT_TRUE(show("bromma-sdn").may_send_rounds());
  Result list = Run({"org", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("SENDS ROUNDS"), std::string::npos) << list.out;
  // As they were, for the suite's other tests.
  ASSERT_EQ(Run({"org", "update", "bromma-sdn", "--name", "Bromma stadsdelsnämnd", "--kind",
                 "stadsdelsnamnd", "--diary-prefix", "BRO", "--may-send-rounds", "false"}).code, 0);
  ASSERT_EQ(Run({"org", "update", "ks", "--name", "Kommunstyrelsen", "--kind", "kommunstyrelse",
                 "--diary-prefix", "KS"}).code, 0);
  EXPECT_FALSE(show("bromma-sdn").may_send_rounds());
}

TEST_F(RemissctlTest, RecordShowsSwedishTimes) {
  Result r = Run({"referral", "show", "KS 2019/1939"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("case number: KS 2019/1939"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("status: issued"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("issued at: 2021-02-01 09:00"), std::string::npos) << r.out;
}

TEST_F(RemissctlTest, BadCaseNumberIsRefusedWithASentence) {
  Result r = Run({"referral", "create", "KS 2019/1939;", "Fel", "ks"});
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("remissctl: the server refused: case_number"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(invalid argument)"), std::string::npos) << r.err;
}

TEST_F(RemissctlTest, RebuildRunsInTheBackgroundAndEndsWithTheSameDigest) {
  Result before = Run({"digest", "referrals"});
  ASSERT_EQ(before.code, 0) << before.err;
  Result rebuilt = Run({"rebuild", "referrals"});
  ASSERT_EQ(rebuilt.code, 0) << rebuilt.err;
  const auto sha = [](const std::string& out) {
    auto p = out.find("sha256: ");
    return p == std::string::npos ? std::string("?") : out.substr(p + 8, 64);
  };
  EXPECT_EQ(sha(rebuilt.out), sha(before.out)) << rebuilt.out << before.out;
  Result positions = Run({"positions", "--json"});
  EXPECT_NE(positions.out.find("\"rebuild\""), std::string::npos) << positions.out;
}

// remissctl events: the referrals log from the server's EventsService, one line per event
// (position, type, stream, recorded_at), from a position, or as JSON lines with watermarks.
TEST_F(RemissctlTest, EventsPrintsTheLogOneLinePerEvent) {
  Result all = Run({"events", "referrals"});
  ASSERT_EQ(all.code, 0) << all.err;
  std::vector<std::string> lines;
  for (std::stringstream in(all.out); std::getline(in, lines.emplace_back());) {
  }
  lines.pop_back();
  ASSERT_GE(lines.size(), 8u) << all.out;  // three organizations, the round's five events
  EXPECT_EQ(lines[0].rfind("1  OrganizationRegistered  organization/ks  2021-02-01T08:00:00", 0), 0u)
      << lines[0];
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].rfind(std::to_string(i + 1) + "  ", 0), 0u) << lines[i];
  }
  EXPECT_NE(all.err.find("-- complete until 2021-02-01T08:00:00"), std::string::npos) << all.err;

  Result from = Run({"events", "referrals", "--from", "4"});
  ASSERT_EQ(from.code, 0) << from.err;
  EXPECT_EQ(from.out.rfind("4  ReferralDrafted  referral/ks-2019-1939  ", 0), 0u) << from.out;

  Result json = Run({"events", "referrals", "--from", "8", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_NE(json.out.find("{\"event\":{\"event_id\":\"referrals-8\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("{\"watermark\":{\"settled_until\":\"2021-02-01T08:00:00"), std::string::npos)
      << json.out;

  EXPECT_EQ(Run({"events"}).code, 2);
  EXPECT_EQ(Run({"events", "referrals", "--from", "x"}).code, 2);
  EXPECT_EQ(Run({"events", "payroll"}).code, 3);
}

TEST_F(RemissctlTest, UnknownRoundIsNotFound) {
  Result r = Run({"board", "KS 2000/1"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
  EXPECT_EQ(Run({"referral", "show", "ks-2000-1"}).code, 3);
}

// The operator's commands for parked feed events reach the AdminService: nothing is parked in
// a healthy remissd, so a retry or a skip is NOT_FOUND, naming the source; a skip without a
// reason is a usage error; `feeds` lists every feed's position.
TEST_F(RemissctlTest, FeedRetryAndSkipReachTheAdminService) {
  Result r = Run({"feed", "retry", "deadlines", "responses", "0"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("no parked event"), std::string::npos) << r.err;
  r = Run({"feed", "skip", "deadlines", "responses", "0", "7", "trasig händelse"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("no parked event"), std::string::npos) << r.err;
  EXPECT_NE(Run({"feed", "skip", "deadlines", "responses", "0", "7"}).code, 0);
  r = Run({"feeds", "deadlines"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_F(RemissctlTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"no-such-command"}).code, 2);
  Result r = Run({"referral", "show"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("REFERRAL-ID"), std::string::npos) << r.err;
  Result bad = Run({"org", "list", "--kind", "castle"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("stadsdelsnamnd"), std::string::npos) << bad.err;
}

TEST_F(RemissctlTest, AMinistryIsRegisteredSendsARoundAndItsKindReadsInSwedish) {
  Result reg = Run({"org", "register", "fi", "Finansdepartementet", "--kind", "departement",
                    "--diary-prefix", "Fi", "--command-id", "kinds-1"});
  ASSERT_EQ(reg.code, 0) << reg.err;
  for (const auto& [id, name, kind] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"region-sthlm", "Region Stockholm", "region"},
           {"msb", "Myndigheten för samhällsskydd och beredskap", "myndighet"},
           {"stockholm-exergi", "Stockholm Exergi AB", "bolag"},
           {"pro-sthlm", "PRO Stockholm", "forening"},
           {"ovrig-1", "Stiftelsen Stockholm", "ovrig"}}) {
    Result r = Run({"org", "register", id, name, "--kind", kind, "--command-id", "kinds-" + id});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  Result show = Run({"org", "show", "fi"});
  EXPECT_NE(show.out.find("kind: departement"), std::string::npos) << show.out;
  Result list = Run({"org", "list"});
  for (const char* word : {"departement", "region", "myndighet", "bolag", "förening", "övrig",
                           "stadsdelsnämnd", "kommunstyrelse"}) {
    EXPECT_NE(list.out.find(word), std::string::npos) << word << "\n" << list.out;
  }
  // The ministry sends a state remiss, with its own case number format, to the city's KS.
  Result create = Run({"referral", "create", "Fi2020/01234/S3", "Remiss av promemorian", "fi",
                       "--command-id", "kinds-create"});
  ASSERT_EQ(create.code, 0) << create.err;
  Result add = Run({"referral", "add-addressee", "fi2020-01234-s3", "ks", "--command-id",
                    "kinds-add"});
  ASSERT_EQ(add.code, 0) << add.err;
  Result shown = Run({"referral", "show", "Fi2020/01234/S3"});
  EXPECT_EQ(shown.code, 0) << shown.err;
  EXPECT_NE(shown.out.find("Fi2020/01234/S3"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("year: 2020"), std::string::npos) << shown.out;
}

TEST_F(RemissctlTest, UnreachableServerExitsFive) {
  Result r = Run({"--server", "127.0.0.1:1", "--timeout", "2", "board", "KS 2019/1939"}, false);
  EXPECT_EQ(r.code, 5) << r.err;
}

TEST_F(RemissctlTest, HelpPrintsAnExample) {
  Result top = Run({"--help"}, false);
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("referral create"), std::string::npos);
  EXPECT_NE(top.out.find("Example"), std::string::npos);
  for (std::vector<std::string> cmd : std::vector<std::vector<std::string>>{
           {"referral", "create"}, {"board"}, {"response", "decide"}, {"deadline", "grant"},
           {"clock", "set"}, {"org"}}) {
    cmd.push_back("--help");
    Result r = Run(cmd, false);
    EXPECT_EQ(r.code, 0) << cmd[0];
    if (cmd.size() > 2 || cmd[0] == "board") {
      EXPECT_NE(r.out.find("Example:\n  remissctl " + cmd[0]), std::string::npos) << r.out;
    }
  }
}

TEST_F(RemissctlTest, AnswerFromExampleFilesReachesTheBoard) {
  const std::string ex = REMISSCTL_EXAMPLES;
  Result reg = Run({"response", "register", "KS 2019/1939", "bromma-sdn", "BRO 2020/440",
                    "2020-12-14"});
  ASSERT_EQ(reg.code, 0) << reg.err;
  Result st = Run({"response", "statement", "--file", ex + "/bromma-statement.json"});
  ASSERT_EQ(st.code, 0) << st.err;
  ASSERT_EQ(Run({"clock", "set", "2021-02-19 09:00"}).code, 0);  // after the board's meeting
  Result dec = Run({"response", "decide", "--file", ex + "/bromma-board-decision.json"});
  ASSERT_EQ(dec.code, 0) << dec.err;
  Result sub = Run({"response", "submit", "KS 2019/1939", "bromma-sdn"});
  ASSERT_EQ(sub.code, 0) << sub.err;
  Result board = Run({"board", "KS 2019/1939"});
  ASSERT_EQ(board.code, 0) << board.err;
  EXPECT_NE(board.out.find("submitted"), std::string::npos) << board.out;
  EXPECT_NE(board.out.find("BRO 2020/440"), std::string::npos) << board.out;
  Result owes = Run({"org", "bromma-sdn"});
  ASSERT_EQ(owes.code, 0) << owes.err;
  EXPECT_NE(owes.out.find("KS 2019/1939"), std::string::npos) << owes.out;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST_F(RemissctlTest, AListOfMoreThanOnePagePrintsEveryRowInOneTable) {
  const std::vector<std::string> ids = {"paging-a-namnd", "paging-b-namnd", "paging-c-namnd",
                                        "paging-d-namnd"};
  for (const auto& id : ids) {
    Result r = Run({"org", "register", id, "Nämnd " + id, "--kind", "facknamnd", "--diary-prefix", "PG"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  // At least seven organizations, two to a page: one table, every row once.
  Result table = Run({"org", "list", "--page-size", "2"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(Count(table.out, "DIARY PREFIX"), 1u) << table.out;
  for (const std::string id : {"ks", "bromma-sdn", "sodermalm-sdn", "paging-a-namnd", "paging-b-namnd",
                               "paging-c-namnd", "paging-d-namnd"}) {
    EXPECT_EQ(Count(table.out, "\n" + id + " "), 1u) << id << " in\n" << table.out;  // a row starts with it
  }

  // As JSON: one document with every page's rows and no token left.
  Result json = Run({"org", "list", "--page-size", "2", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  remiss::v1::ListOrganizationsResponse all;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &all).ok()) << json.out;
  EXPECT_TRUE(all.next_page_token().empty());
  Result one_page = Run({"org", "list", "--json"});
  remiss::v1::ListOrganizationsResponse by_default;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(one_page.out, &by_default).ok()) << one_page.out;
  ASSERT_GE(all.organizations_size(), 7);
  ASSERT_EQ(all.organizations_size(), by_default.organizations_size());
  for (int i = 0; i < all.organizations_size(); ++i) {
    EXPECT_EQ(all.organizations(i).org_id(), by_default.organizations(i).org_id());
  }

  // A round's two deadlines, one to a page.
  Result deadlines = Run({"deadline", "list", "KS 2019/1939", "--page-size", "1"});
  ASSERT_EQ(deadlines.code, 0) << deadlines.err;
  EXPECT_EQ(Count(deadlines.out, "bromma-sdn"), 1u) << deadlines.out;
  EXPECT_EQ(Count(deadlines.out, "sodermalm-sdn"), 1u) << deadlines.out;

  Result too_big = Run({"org", "list", "--page-size", "501"});
  EXPECT_EQ(too_big.code, 4) << too_big.out;
  EXPECT_NE(too_big.err.find("page_size: must be between 0 and 500"), std::string::npos) << too_big.err;
  Result help = Run({"org", "list", "--help"}, false);
  EXPECT_NE(help.out.find("--page-size"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("every page is fetched"), std::string::npos) << help.out;
}

TEST_F(RemissctlTest, RetryWithTheSameCommandIdRecordsNothingNew) {
  Result a = Run({"org", "register", "hv-sdn", "Hässelby-Vällingby stadsdelsnämnd", "--kind",
                  "stadsdelsnamnd", "--diary-prefix", "HV", "--command-id", "retry-1"});
  ASSERT_EQ(a.code, 0) << a.err;
  Result b = Run({"org", "register", "hv-sdn", "Hässelby-Vällingby stadsdelsnämnd", "--kind",
                  "stadsdelsnamnd", "--diary-prefix", "HV", "--command-id", "retry-1"});
  EXPECT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(a.out.find("repeated"), std::string::npos) << a.out;
  EXPECT_NE(b.out.find("(repeated: "), std::string::npos) << b.out;  // the first result, again
  Result show = Run({"org", "show", "hv-sdn"});
  EXPECT_NE(show.out.find("version: 1"), std::string::npos) << show.out;
  // The same id for another command is refused, naming the first; nothing is recorded.
  Result c = Run({"org", "register", "idrottsnamnden", "Idrottsnämnden", "--kind", "facknamnd",
                  "--command-id", "retry-1"});
  EXPECT_NE(c.code, 0) << c.out;
  EXPECT_NE(c.err.find("command_id: \"retry-1\" was already used"), std::string::npos) << c.err;
  EXPECT_EQ(Run({"org", "show", "idrottsnamnden"}).code, 3);
}

TEST_F(RemissctlTest, OverdueAfterTheDeadlineIsMarked) {
  // Runs last by name order is not guaranteed; it only moves the clock forward.
  Result c = Run({"clock", "set", "2021-03-02 10:00"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("2021-03-02 10:00"), std::string::npos) << c.out;
  Result r;
  for (int i = 0; i < 50; ++i) {
    r = Run({"overdue"});
    if (r.out.find("sodermalm-sdn") != std::string::npos) break;
    usleep(100 * 1000);
  }
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("!  KS 2019/1939  sodermalm-sdn"), std::string::npos) << r.out;
}


// ---- remissctl demo: both seed rounds into a fresh remissd ----

// A remissd of its own: on a manual clock at `manual_clock`, or on the system clock when empty.
class DemoServer {
 public:
  explicit DemoServer(const std::string& manual_clock) {
    dir_ = std::filesystem::temp_directory_path() /
           ("remissctl-demo-" + std::to_string(getpid()) + "-" + std::to_string(++count_));
    std::filesystem::create_directories(dir_);
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      std::string data = (dir_ / "data").string();
      if (manual_clock.empty()) {
        execl(REMISSD, REMISSD, "--listen", "127.0.0.1:0", "--data-dir", data.c_str(),
              static_cast<char*>(nullptr));
      } else {
        execl(REMISSD, REMISSD, "--listen", "127.0.0.1:0", "--data-dir", data.c_str(),
              "--manual-clock", manual_clock.c_str(), static_cast<char*>(nullptr));
      }
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[512];
    while (fgets(line, sizeof line, f)) {
      std::string l = line;
      const std::string tag = "listening on ";
      if (auto p = l.find(tag); p != std::string::npos) {
        std::string rest = l.substr(p + tag.size());
        address_ = rest.substr(0, rest.find_first_of(" \n"));
        break;
      }
    }
    std::thread([f] {
      char buf[512];
      while (fgets(buf, sizeof buf, f)) {
      }
    }).detach();
  }
  ~DemoServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  const std::string& address() const { return address_; }

  Result Run(const std::vector<std::string>& args) const {
    std::string cmd = Quote(REMISSCTL) + " --server " + Quote(address_);
    for (const auto& a : args) cmd += " " + Quote(a);
    std::string err = (dir_ / "stderr").string();
    cmd += " 2>" + Quote(err);
    Result r;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = ReadFile(err);
    return r;
  }

 private:
  static inline int count_ = 0;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::string address_;
};

TEST(RemissctlDemo, LoadsBothSeedRoundsIntoAFreshRemissdOnAManualClock) {
  DemoServer server("2020-12-01T09:00:00+01:00");
  ASSERT_FALSE(server.address().empty()) << "remissd did not say where it listens";
  Result demo = server.Run({"demo"});
  ASSERT_EQ(demo.code, 0) << demo.out << demo.err;
  EXPECT_NE(demo.out.find("KS registers the eight organizations"), std::string::npos) << demo.out;
  EXPECT_NE(demo.out.find("KS 2019/1939  Stockholms stads trygghetsprogram 2020-2023"),
            std::string::npos) << demo.out;
  EXPECT_NE(demo.out.find("remissctl org bromma-sdn"), std::string::npos) << demo.out;

  Result board = server.Run({"board", "KS-2019-1939"});
  ASSERT_EQ(board.code, 0) << board.err;
  bool bromma_submitted = false;
  std::istringstream lines(board.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("bromma-sdn") != std::string::npos &&
        line.find("submitted") != std::string::npos &&
        line.find("BRO 2020/440") != std::string::npos) {
      bromma_submitted = true;
    }
  }
  EXPECT_TRUE(bromma_submitted) << board.out;

  // Once loaded, the clock is past the start: a second demo refuses.
  Result again = server.Run({"demo"});
  EXPECT_EQ(again.code, 4) << again.out << again.err;
  EXPECT_NE(again.err.find("fresh data dir"), std::string::npos) << again.err;
}

TEST(RemissctlDemo, RefusesARemissdOnTheSystemClock) {
  DemoServer server("");
  ASSERT_FALSE(server.address().empty()) << "remissd did not say where it listens";
  Result demo = server.Run({"demo"});
  EXPECT_EQ(demo.code, 2) << demo.out << demo.err;
  EXPECT_NE(demo.err.find("--manual-clock 2020-12-01T09:00:00+01:00"), std::string::npos)
      << demo.err;
}

}  // namespace

namespace {

// The column (in characters) at which `word` starts in the first line that starts with
// `line_start`; npos when there is none.
size_t ColumnOf(const std::string& text, const std::string& line_start, const std::string& word) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(line_start, 0) != 0) continue;
    size_t at = line.find(word);
    if (at == std::string::npos) return std::string::npos;
    size_t cont = 0;  // UTF-8 continuation bytes before it
    for (size_t i = 0; i < at; ++i) cont += (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80;
    return at - cont;
  }
  return std::string::npos;
}

TEST_F(RemissctlTest, KsSavesListsAndAddressesARoundFromThemInOneCommand) {
  ASSERT_EQ(Run({"org", "register", "utbildningsnamnden", "Utbildningsnämnden", "--kind", "facknamnd",
                 "--registry-mailbox", "registrator.utbildning@stockholm.se"}).code, 0);
  Result created = Run({"list", "create", "samtliga stadsdelsnämnder", "bromma-sdn", "sodermalm-sdn"});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_NE(created.out.find("samtliga-stadsdelsnamnder"), std::string::npos) << created.out;
  ASSERT_EQ(Run({"list", "create", "facknämnderna", "utbildningsnamnden"}).code, 0);
  Result changed = Run({"list", "change", "facknämnderna", "--name", "Facknämnderna",
                        "--add-org-ids", "bromma-sdn"});
  ASSERT_EQ(changed.code, 0) << changed.err;

  Result show = Run({"list", "show", "samtliga stadsdelsnämnder"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("2 members"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("\nsodermalm-sdn\n"), std::string::npos) << show.out;
  Result list = Run({"list", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("Facknämnderna"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("bromma-sdn, utbildningsnamnden"), std::string::npos) << list.out;

  // Create from a list minus a single, then address from another list: two commands.
  Result create = Run({"referral", "create", "KS 2021/12", "Stockholms stads kulturstrategi", "ks",
                       "--distribution-list-ids", "samtliga-stadsdelsnamnder", "--remove-org-ids",
                       "sodermalm-sdn"});
  ASSERT_EQ(create.code, 0) << create.err;
  Result address = Run({"referral", "address", "KS 2021/12", "facknamnderna",
                        "samtliga stadsdelsnämnder", "--remove-org-ids", "sodermalm-sdn"});
  ASSERT_EQ(address.code, 0) << address.err;
  Result round = Run({"--json", "referral", "show", "KS 2021/12"});
  ASSERT_EQ(round.code, 0) << round.err;
  remiss::v1::Referral r;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(round.out, &r).ok()) << round.out;
  std::vector<std::string> orgs;
  for (const auto& a : r.addressees()) orgs.push_back(a.org_id());
  EXPECT_EQ(orgs, (std::vector<std::string>{"bromma-sdn", "utbildningsnamnden"}));

  // An unknown list: not found, naming the field; nothing recorded.
  Result unknown = Run({"referral", "address", "KS 2021/12", "bolagen"});
  EXPECT_EQ(unknown.code, 3);
  EXPECT_NE(unknown.err.find("distribution_list_ids[0]"), std::string::npos) << unknown.err;
  EXPECT_EQ(Run({"list", "show", "bolagen"}).code, 3);
}

TEST_F(RemissctlTest, RegistryMailboxesAreSetAndTheBoardGivesThemForChasing) {
  Result bad = Run({"org", "mailbox", "bromma-sdn", "registrator bromma"});
  EXPECT_EQ(bad.code, 4);
  EXPECT_NE(bad.err.find("registry_mailbox: "), std::string::npos) << bad.err;
  Result set = Run({"org", "mailbox", "bromma-sdn", "registrator.bromma@stockholm.se"});
  ASSERT_EQ(set.code, 0) << set.err;
  Result show = Run({"org", "show", "bromma-sdn"});
  EXPECT_NE(show.out.find("registry mailbox: registrator.bromma@stockholm.se"), std::string::npos)
      << show.out;
  std::string board;
  for (int attempt = 0; attempt < 100; ++attempt) {  // followup hears of it shortly
    board = Run({"board", "KS 2019/1939"}).out;
    if (board.find("registrator.bromma@stockholm.se") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(board.find("ej inkommit, to chase:"), std::string::npos) << board;
  const size_t mailbox = ColumnOf(board, "ORG", "REGISTRY MAILBOX");
  EXPECT_NE(mailbox, std::string::npos) << board;
  EXPECT_EQ(ColumnOf(board, "bromma-sdn", "registrator.bromma@stockholm.se"), mailbox) << board;
  EXPECT_NE(board.find("(none known)"), std::string::npos) << board;  // Södermalm has none
}

TEST_F(RemissctlTest, CompilationAndChainPrintAlignedTablesAndJsonForScripts) {
  const std::string ex = REMISSCTL_EXAMPLES;
  ASSERT_EQ(Run({"response", "register", "KS 2019/1939", "bromma-sdn", "BRO 2020/440",
                 "2020-12-14"}).code, 0);
  ASSERT_EQ(Run({"response", "statement", "--file", ex + "/bromma-statement.json"}).code, 0);
  ASSERT_EQ(Run({"clock", "set", "2021-02-19 09:00"}).code, 0);
  ASSERT_EQ(Run({"response", "decide", "--file", ex + "/bromma-board-decision.json"}).code, 0);
  ASSERT_EQ(Run({"response", "submit", "KS 2019/1939", "bromma-sdn"}).code, 0);

  std::string text;
  for (int attempt = 0; attempt < 100; ++attempt) {
    text = Run({"compilation", "KS 2019/1939"}).out;
    if (text.find("bromma-sdn  Bromma") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Tables with aligned columns, not key: value records.
  EXPECT_EQ(text.find("answers {"), std::string::npos) << text;
  EXPECT_NE(text.find("remissammanställning: 1 answer (positive 1)"), std::string::npos) << text;
  const size_t standpoint = ColumnOf(text, "ORG", "STANDPOINT");
  EXPECT_NE(standpoint, std::string::npos) << text;
  EXPECT_EQ(ColumnOf(text, "bromma-sdn", "positive"), standpoint) << text;
  EXPECT_EQ(ColumnOf(text, "ORG", "SUBMITTED"), ColumnOf(text, "bromma-sdn", "2021-02-19 09:00"))
      << text;
  EXPECT_NE(text.find("Reservations and special statements by party"), std::string::npos);
  EXPECT_NE(ColumnOf(text, "PARTY", "KIND"), std::string::npos) << text;
  EXPECT_EQ(ColumnOf(text, "PARTY", "KIND"), ColumnOf(text, "S ", "reservation")) << text;
  EXPECT_NE(text.find("not answered (ej inkommit): sodermalm-sdn"), std::string::npos) << text;

  Result json = Run({"compilation", "KS 2019/1939", "--json"});
  remiss::v1::CompilationView view;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &view).ok()) << json.out;
  EXPECT_EQ(view.live().answers_size(), 1);

  // Read by board, page after page, live and each frozen version: --json is the whole, as
  // GetCompilation gives it.
  ASSERT_EQ(Run({"compilation", "freeze", "KS 2019/1939", "Till KS beredning"}).code, 0);
  json = Run({"compilation", "KS 2019/1939", "--json"});
  view.Clear();
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &view).ok()) << json.out;
  ASSERT_EQ(view.frozen_size(), 1) << json.out;
  EXPECT_EQ(view.frozen(0).version(), 1u);
  EXPECT_EQ(view.frozen(0).note(), "Till KS beredning");
  EXPECT_EQ(view.frozen(0).referral_id(), "ks-2019-1939");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(view.frozen(0).compilation(), view.live()))
      << json.out;
  EXPECT_EQ(view.live().party_statements_size(), 4) << json.out;  // Bromma's reservation and statements
  text = Run({"compilation", "KS 2019/1939"}).out;
  EXPECT_NE(text.find("Frozen versions"), std::string::npos) << text;

  Result chain = Run({"chain", "KS 2019/1939"});
  ASSERT_EQ(chain.code, 0) << chain.err;
  const size_t round_column = ColumnOf(chain.out, "ORG", "KS 2019/1939");
  EXPECT_NE(round_column, std::string::npos) << chain.out;
  EXPECT_EQ(ColumnOf(chain.out, "bromma-sdn ", "positive"), round_column) << chain.out;
  EXPECT_EQ(ColumnOf(chain.out, "sodermalm-sdn ", "(no answer)"), round_column) << chain.out;
  Result chain_json = Run({"chain", "KS 2019/1939", "--json"});
  remiss::v1::RevisionChain parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(chain_json.out, &parsed).ok());
}

// Issue 25, finding 3: a round whose compilation is over what the server may send (remissd
// with --max-message-bytes 64 KiB sends at most 256 KiB; eight boards with 40 KB of remarks
// each) is read by board, page after page, and printed whole, --json too.
TEST_F(RemissctlTest, ACompilationOverTheServersSendLimitIsReadByBoardAndPrintedWhole) {
  const std::filesystem::path small = dir_ / "small-limit";
  std::filesystem::create_directories(small);
  pid_t pid = -1;
  std::string address;
  ASSERT_NO_FATAL_FAILURE(StartRemissd(small / "data", {"--max-message-bytes", "65536"}, &pid, &address));
  struct Stop {
    pid_t pid;
    ~Stop() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  } stop{pid};
  auto ok = [&](const std::vector<std::string>& args) {
    Result r = RunAt(address, args);
    EXPECT_EQ(r.code, 0) << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": " << r.err;
    return r.code == 0;
  };
  std::vector<std::string> boards;
  for (int i = 1; i <= 8; ++i) boards.push_back("namnd-0" + std::to_string(i));
  ASSERT_TRUE(ok({"org", "register", "ks", "Kommunstyrelsen", "--kind", "kommunstyrelse", "--may-send-rounds"}));
  for (const std::string& b : boards) ASSERT_TRUE(ok({"org", "register", b, "Nämnden " + b, "--kind", "facknamnd"}));
  ASSERT_TRUE(ok({"referral", "create", "KS 2021/7", "Trygghetsprogrammet", "ks"}));
  for (const std::string& b : boards) ASSERT_TRUE(ok({"referral", "add-addressee", "KS 2021/7", b}));
  ASSERT_TRUE(ok({"referral", "set-deadline", "KS 2021/7", "2021-03-31"}));
  ASSERT_TRUE(ok({"referral", "issue", "KS 2021/7"}));
  for (size_t i = 0; i < boards.size(); ++i) {
    const std::string& b = boards[i];
    const std::string remark = b + ": " + std::string(20000, static_cast<char>('a' + i));
    const std::string file = (small / (b + ".json")).string();
    std::ofstream(file) << R"({"referral_id":"KS 2021/7","org_id":")" << b
                        << R"(","statement":{"summary":"Nämnden har synpunkter.","standpoint":"STANDPOINT_POSITIVE_WITH_REMARKS",)"
                        << R"("proposed_decision":["Nämnden överlämnar svaret."],"remarks":[{"topic":"trygghet","text":")"
                        << remark << R"("},{"topic":"tema )" << b << R"(","text":")" << remark << R"("}]}})";
    for (int attempt = 0; attempt < 100; ++attempt) {  // until responses has heard of the round
      if (RunAt(address, {"response", "register", "KS 2021/7", b, "DNR 2021/" + b, "2021-02-01"}).code == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(ok({"response", "statement", "--file", file}));
    ASSERT_TRUE(ok({"response", "delegate", "KS 2021/7", b, "Förvaltningschefen", "Förvaltningschef", "2021-02-01",
                    "--delegation.decision-text", "Svaret lämnas på delegation."}));
    ASSERT_TRUE(ok({"response", "submit", "KS 2021/7", b}));
  }
  remiss::v1::CompilationView view;
  Result json;
  for (int attempt = 0; attempt < 100; ++attempt) {  // until followup has heard every answer
    json = RunAt(address, {"compilation", "KS 2021/7", "--json"});
    view.Clear();
    if (json.code == 0 && google::protobuf::util::JsonStringToMessage(json.out, &view).ok() &&
        view.live().answers_size() == 8) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(view.live().answers_size(), 8) << json.err << json.out.substr(0, 2000);
  EXPECT_GT(json.out.size(), 4u * 65536) << "the compilation should be over the send limit";
  std::map<std::string, int> remarks;
  for (const auto& topic : view.live().remarks_by_topic()) {
    for (const auto& r : topic.remarks()) ++remarks[r.org_id()];
  }
  for (size_t i = 0; i < boards.size(); ++i) {
    EXPECT_EQ(view.live().answers(static_cast<int>(i)).org_id(), boards[i]);
    EXPECT_EQ(remarks[boards[i]], 2) << boards[i];
  }
  Result text = RunAt(address, {"compilation", "KS 2021/7"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("remissammanställning: 8 answers"), std::string::npos) << text.out.substr(0, 2000);
  for (const std::string& b : boards) EXPECT_NE(text.out.find(b + "  Nämnden " + b), std::string::npos) << b;
}

}  // namespace
