#include "tools/remissctl/command_table.h"

#include <algorithm>

namespace remissctl {
namespace {

constexpr char kRef[] = "remiss.v1.ReferralService";
constexpr char kResp[] = "remiss.v1.ResponseService";
constexpr char kDl[] = "remiss.v1.DeadlineService";
constexpr char kFu[] = "remiss.v1.FollowupService";
constexpr char kAdm[] = "remiss.v1.AdminService";
constexpr char kNo[] = "remiss.v1.NoticesService";

Command Cmd(std::string words, std::string service, std::string method,
            std::vector<std::string> positionals, int required, std::string summary,
            std::string example, View view = View::kResult) {
  Command c;
  c.words = std::move(words);
  c.service = std::move(service);
  c.method = std::move(method);
  c.positionals = std::move(positionals);
  c.required_positionals = required;
  c.summary = std::move(summary);
  c.example = std::move(example);
  c.view = view;
  return c;
}

Command Table(Command c, std::string rows, std::vector<std::string> columns) {
  c.view = View::kTable;
  c.rows = std::move(rows);
  c.columns = std::move(columns);
  return c;
}

Command Rest(Command c) {
  c.rest = true;
  return c;
}

Command Preset(Command c, std::vector<std::pair<std::string, std::string>> presets) {
  c.presets = std::move(presets);
  return c;
}

const std::vector<std::string> kDeadlineColumns = {
    "case_number=CASE", "org_id=ORG", "effective_date=DEADLINE", "days_left=DAYS LEFT",
    "outcome=OUTCOME", "extensions.state=EXTENSION"};
const std::vector<std::string> kResponseColumns = {
    "case_number=CASE", "org_id=ORG", "stage=STAGE", "diary_number=DIARY NO",
    "stated_deadline=DEADLINE", "statement.standpoint=STANDPOINT", "submitted_at=SUBMITTED"};

std::vector<Command> Build() {
  std::vector<Command> t;
  // ---- organizations ----
  t.push_back(Cmd("org register", kRef, "RegisterOrganization", {"org_id", "name"}, 2,
                  "register an organization (remissinstans); --may-send-rounds lets its ks record and run "
                  "rounds (set by the operator, or by a ks whose own organization may)",
                  "remissctl org register bromma-sdn \"Bromma stadsdelsnämnd\" --kind stadsdelsnamnd --diary-prefix BRO"));
  t.push_back(Cmd("org update", kRef, "UpdateOrganization", {"org_id"}, 1,
                  "change an organization's name, kind or diary prefix (--may-send-rounds true|false: "
                  "whether its ks may send rounds; kept unless given)",
                  "remissctl org update bromma-sdn --name \"Bromma stadsdelsnämnd\" --kind stadsdelsnamnd --diary-prefix BRO"));
  t.push_back(Cmd("org show", kRef, "GetOrganization", {"org_id"}, 1, "one organization",
                  "remissctl org show bromma-sdn", View::kRecord));
  t.push_back(Table(Cmd("org list", kRef, "ListOrganizations", {}, 0, "every organization (--kind to filter)",
                        "remissctl org list --kind stadsdelsnamnd"),
                    "organizations", {"org_id=ORG", "name=NAME", "kind=KIND", "diary_prefix=DIARY PREFIX",
                                      "registry_mailbox=REGISTRY MAILBOX", "may_send_rounds=SENDS ROUNDS"}));
  t.push_back(Cmd("org mailbox", kRef, "SetRegistryMailbox", {"org_id", "registry_mailbox"}, 1,
                  "set an organization's registry mailbox (registrator), where rounds and chasers go; "
                  "none clears it",
                  "remissctl org mailbox bromma-sdn registrator.bromma@stockholm.se"));
  // ---- distribution lists (sändlistor) ----
  t.push_back(Rest(Cmd("list create", kRef, "CreateDistributionList", {"name", "member_org_ids"}, 1,
                       "save a distribution list (sändlista) of organizations; its id comes from "
                       "the name unless --list-id",
                       "remissctl list create \"samtliga stadsdelsnämnder\" bromma-sdn sodermalm-sdn hasselby-vallingby-sdn")));
  t.push_back(Cmd("list change", kRef, "ChangeDistributionList", {"list_id"}, 1,
                  "rename a list (--name) or add and remove members (--add-org-ids, --remove-org-ids, "
                  "repeat for more)",
                  "remissctl list change samtliga-stadsdelsnamnder --add-org-ids skarholmen-sdn"));
  t.push_back(Cmd("list show", kRef, "GetDistributionList", {"list_id"}, 1,
                  "one distribution list and its members, by id or name",
                  "remissctl list show \"samtliga stadsdelsnämnder\"", View::kList));
  t.push_back(Table(Cmd("list list", kRef, "ListDistributionLists", {}, 0, "every distribution list",
                        "remissctl list list"),
                    "distribution_lists", {"list_id=LIST", "name=NAME", "member_org_ids=MEMBERS"}));
  t.push_back(Cmd("org view", kFu, "GetOrganizationView", {"org_id"}, 1,
                  "what an organization owes, across rounds (also: remissctl org ORG-ID)",
                  "remissctl org view bromma-sdn", View::kOrgView));
  t.push_back(Cmd("owes", kFu, "GetOrganizationView", {"org_id"}, 1,
                  "what an organization owes, across rounds", "remissctl owes bromma-sdn",
                  View::kOrgView));
  // ---- referral rounds ----
  t.push_back(Cmd("referral create", kRef, "CreateReferral", {"case_number", "title", "sender_org_id"}, 2,
                  "draft a round; --distribution-list-ids, --add-org-ids, --remove-org-ids address it at once",
                  "remissctl referral create \"KS 2019/1939\" \"Stockholms stads trygghetsprogram 2020-2023\" ks --distribution-list-ids samtliga-stadsdelsnamnder --add-org-ids utbildningsnamnden"));
  t.push_back(Rest(Cmd("referral address", kRef, "AddressReferral", {"referral_id", "distribution_list_ids"}, 1,
                       "address a round from distribution lists in one command, plus --add-org-ids, minus "
                       "--remove-org-ids (--reason once issued)",
                       "remissctl referral address \"KS 2019/1939\" samtliga-stadsdelsnamnder facknamnderna --add-org-ids polisen --remove-org-ids socialnamnden")));
  t.push_back(Cmd("referral attach", kRef, "AttachDocument",
                  {"referral_id", "document.id", "document.title", "document.uri"}, 3,
                  "attach a document (bilaga) to a round",
                  "remissctl referral attach \"KS 2019/1939\" bilaga-1 \"Förslag till trygghetsprogram\" diarium:KS-2019-1939-1"));
  t.push_back(Cmd("referral add-addressee", kRef, "AddAddressee", {"referral_id", "org_id"}, 2,
                  "ask an organization (--deadline-override DATE, --answer for-information)",
                  "remissctl referral add-addressee \"KS 2019/1939\" bromma-sdn"));
  t.push_back(Cmd("referral remove-addressee", kRef, "RemoveAddressee", {"referral_id", "org_id", "reason"}, 2,
                  "stop asking an organization",
                  "remissctl referral remove-addressee \"KS 2019/1939\" bromma-sdn \"Asked by mistake\""));
  t.push_back(Cmd("referral set-deadline", kRef, "SetDeadline", {"referral_id", "deadline"}, 2,
                  "set the round's deadline (--working-day-rule)",
                  "remissctl referral set-deadline \"KS 2019/1939\" 2021-02-26 --working-day-rule"));
  t.push_back(Cmd("referral issue", kRef, "IssueReferral", {"referral_id"}, 1, "send the round out",
                  "remissctl referral issue \"KS 2019/1939\""));
  t.push_back(Cmd("referral move-deadline", kRef, "MoveDeadline", {"referral_id", "deadline", "reason"}, 2,
                  "move the round's deadline (--org-id for one addressee's)",
                  "remissctl referral move-deadline \"KS 2019/1939\" 2021-03-05 \"Sportlovet\" --org-id bromma-sdn"));
  t.push_back(Cmd("referral close", kRef, "CloseReferral", {"referral_id", "reason"}, 1,
                  "close the round for answers", "remissctl referral close \"KS 2019/1939\" \"Sammanställd\""));
  t.push_back(Cmd("referral withdraw", kRef, "WithdrawReferral", {"referral_id", "reason"}, 1,
                  "withdraw the round", "remissctl referral withdraw \"KS 2019/1939\" \"Ärendet återkallat\""));
  t.push_back(Cmd("referral link-revision", kRef, "LinkRevision", {"referral_id", "revises_referral_id"}, 2,
                  "mark a round as the revision of an earlier one",
                  "remissctl referral link-revision \"KS 2023/739\" \"KS 2019/1939\""));
  t.push_back(Cmd("referral show", kRef, "GetReferral", {"referral_id"}, 1,
                  "one round, by id or case number", "remissctl referral show \"KS 2019/1939\"",
                  View::kRecord));
  t.push_back(Table(Cmd("referral list", kRef, "ListReferrals", {}, 0,
                        "rounds (--status issued, --year 2021, --sender-org-id ks)",
                        "remissctl referral list --status issued --year 2019"),
                    "referrals", {"case_number=CASE", "title=TITLE", "status=STATUS", "deadline=DEADLINE",
                                  "sender_org_id=SENDER"}));
  // ---- answers ----
  auto resp = [&](std::string words, std::string method, std::vector<std::string> extra, int req,
                  std::string summary, std::string example, View view = View::kResult) {
    std::vector<std::string> pos = {"referral_id", "org_id"};
    pos.insert(pos.end(), extra.begin(), extra.end());
    t.push_back(Cmd(std::move(words), kResp, std::move(method), pos, req, std::move(summary),
                    std::move(example), view));
  };
  resp("response register", "RegisterResponse", {"diary_number", "registered_on"}, 3,
       "register the round in the board's diary",
       "remissctl response register \"KS 2019/1939\" bromma-sdn \"BRO 2020/440\" 2020-12-14");
  resp("response assign-officer", "AssignCaseOfficer", {"officer.name"}, 2,
       "assign a case officer (--officer.phone, --officer.email, --officer.person-id)",
       "remissctl response assign-officer \"KS 2019/1939\" sodermalm-sdn \"Christina Koistinen\" --officer.phone 0850830198");
  resp("response consult", "RecordConsultation", {"consultation.body", "consultation.date"}, 3,
       "record a consultation (pensionarsrad, funktionshinderrad, facklig-samverkan, ...)",
       "remissctl response consult \"KS 2019/1939\" sodermalm-sdn pensionarsrad 2021-02-15");
  resp("response statement", "RecordStatement", {}, 2,
       "record the drafted statement (tjänsteutlåtande), best from --file",
       "remissctl response statement \"KS 2019/1939\" sodermalm-sdn --file examples/sodermalm-statement.json");
  resp("response attest", "AttestStatement", {"attestation.name", "attestation.title", "attestation.date"}, 2,
       "record an attestation of the statement",
       "remissctl response attest \"KS 2019/1939\" sodermalm-sdn \"Ann-Christine Jenvén\" Stadsdelsdirektör 2021-02-05");
  resp("response decide", "RecordBoardDecision", {}, 2,
       "record the board's decision (proposals, reservations, special statements), best from --file",
       "remissctl response decide \"KS 2019/1939\" bromma-sdn --file examples/bromma-board-decision.json");
  resp("response delegate", "RecordDelegationDecision",
       {"delegation.decided_by_name", "delegation.decided_by_title", "delegation.date"}, 2,
       "record a decision taken on delegation",
       "remissctl response delegate \"KS 2019/1939\" bromma-sdn \"Anna Andersson\" Stadsdelsdirektör 2021-02-18 --delegation.decision-text \"Svaret lämnas på delegation.\"");
  resp("response submit", "SubmitResponse", {"note"}, 2, "send the answer to KS",
       "remissctl response submit \"KS 2019/1939\" bromma-sdn");
  resp("response decline", "DeclineResponse", {"reason"}, 3, "decline to answer",
       "remissctl response decline \"KS 2019/1939\" bromma-sdn \"Berör inte nämndens verksamhet\"");
  resp("response supplement", "SupplementResponse", {"text"}, 3, "add to a submitted answer",
       "remissctl response supplement \"KS 2019/1939\" bromma-sdn \"Protokollsutdrag bifogas.\"");
  resp("response correct", "CorrectFact", {"corrects_version", "reason"}, 4,
       "correct a recorded fact (name its version; the replacement via --registered.* etc. or --file)",
       "remissctl response correct \"KS 2019/1939\" bromma-sdn 1 \"Fel diarienummer\" --registered.diary-number \"BRO 2020/441\" --registered.registered-on 2020-12-14");
  resp("response show", "GetResponse", {}, 2, "one board's answer as it stands",
       "remissctl response show \"KS 2019/1939\" bromma-sdn", View::kRecord);
  resp("response timeline", "GetResponseTimeline", {}, 2, "one board's answer and its whole history",
       "remissctl response timeline \"KS 2019/1939\" bromma-sdn", View::kTimeline);
  t.push_back(Table(Cmd("response list", kResp, "ListResponsesForRound", {"referral_id"}, 1,
                        "every board's answer to a round", "remissctl response list \"KS 2019/1939\""),
                    "responses", kResponseColumns));
  t.push_back(Table(Cmd("response list-for", kResp, "ListResponsesForOrganization", {"org_id"}, 1,
                        "every answer of one board", "remissctl response list-for bromma-sdn"),
                    "responses", kResponseColumns));
  // ---- deadlines ----
  t.push_back(Cmd("deadline show", kDl, "GetDeadline", {"referral_id", "org_id"}, 2,
                  "one board's deadline: the date that counts, days left, extensions",
                  "remissctl deadline show \"KS 2019/1939\" bromma-sdn", View::kRecord));
  t.push_back(Table(Cmd("deadline list", kDl, "ListDeadlinesForRound", {"referral_id"}, 1,
                        "every deadline of a round", "remissctl deadline list \"KS 2019/1939\""),
                    "deadlines", kDeadlineColumns));
  t.push_back(Table(Cmd("deadline due", kDl, "ListDueForOrganization", {"org_id", "days"}, 1,
                        "what an organization has due in the next DAYS days (default 30)",
                        "remissctl deadline due bromma-sdn 60"),
                    "deadlines", kDeadlineColumns));
  t.push_back(Cmd("deadline extend", kDl, "RequestExtension", {"referral_id", "org_id", "requested_date", "reason"}, 3,
                  "ask for more time (anstånd)",
                  "remissctl deadline extend \"KS 2019/1939\" skarholmen-sdn 2021-03-12 \"Nämnden sammanträder 11 mars\""));
  t.push_back(Preset(Cmd("deadline grant", kDl, "DecideExtension", {"referral_id", "org_id", "extension_id", "granted_date"}, 3,
                         "grant an extension (the date asked for unless GRANTED-DATE)",
                         "remissctl deadline grant \"KS 2019/1939\" skarholmen-sdn ext-1"),
                     {{"grant", "true"}}));
  t.push_back(Preset(Cmd("deadline refuse", kDl, "DecideExtension", {"referral_id", "org_id", "extension_id", "note"}, 4,
                         "refuse an extension, saying why",
                         "remissctl deadline refuse \"KS 2019/1939\" skarholmen-sdn ext-1 \"Sammanställningen kan inte vänta\""),
                     {{"grant", "false"}}));
  t.push_back(Cmd("deadline policy", kDl, "SetReminderPolicy", {"referral_id"}, 1,
                  "when reminders go out (--days-before 14 --days-before 3 --days-before -1)",
                  "remissctl deadline policy \"KS 2019/1939\" --days-before 14 --days-before 3 --days-before -1"));
  t.push_back(Cmd("deadline meetings", kDl, "RegisterBoardMeetings", {"org_id", "dates"}, 2,
                  "register a board's meeting dates (repeat --dates for more)",
                  "remissctl deadline meetings bromma-sdn 2021-02-18 --dates 2021-03-18"));
  t.push_back(Cmd("deadline cancel-meeting", kDl, "CancelBoardMeeting", {"org_id", "date"}, 2,
                  "cancel a board meeting", "remissctl deadline cancel-meeting bromma-sdn 2021-03-18"));
  t.push_back(Cmd("deadline calendar", kDl, "GetBoardCalendar", {"org_id"}, 1, "a board's meeting dates",
                  "remissctl deadline calendar bromma-sdn", View::kRecord));
  t.push_back(Table(Cmd("deadline overdue", kDl, "ListOverdue", {}, 0,
                        "every deadline past due with no answer", "remissctl deadline overdue"),
                    "deadlines", kDeadlineColumns));
  t.push_back(Table(Cmd("overdue", kDl, "ListOverdue", {}, 0, "every deadline past due with no answer",
                        "remissctl overdue"),
                    "deadlines", kDeadlineColumns));
  // ---- follow-up ----
  t.push_back(Cmd("board", kFu, "GetStatusBoard", {"referral_id"}, 1,
                  "a round's status board: one row per board", "remissctl board \"KS 2019/1939\"",
                  View::kBoard));
  t.push_back(Cmd("compilation", kFu, "GetCompilation", {"referral_id"}, 1,
                  "the compilation (sammanställning): who said what, as tables, read by board in pages "
                  "(--json: the whole, live and frozen, for scripts)",
                  "remissctl compilation \"KS 2019/1939\"", View::kCompilation));
  t.push_back(Cmd("compilation freeze", kFu, "FreezeCompilation", {"referral_id", "note"}, 1,
                  "record a numbered version of the compilation",
                  "remissctl compilation freeze \"KS 2019/1939\" \"Till KS beredning\""));
  t.push_back(Cmd("outcome", kFu, "RecordOutcome", {"referral_id", "decided_by", "decision_date", "summary"}, 3,
                  "record what became of the proposal",
                  "remissctl outcome \"KS 2019/1939\" kommunfullmäktige 2021-03-15 \"Programmet antogs\" --decision-reference \"KF 2021-03-15 § 7\""));
  t.push_back(Cmd("feedback", kFu, "GiveFeedback", {"referral_id", "org_id", "text"}, 3,
                  "tell a board how its remarks were handled (återkoppling)",
                  "remissctl feedback \"KS 2019/1939\" utbildningsnamnden \"Strukturen har förenklats.\""));
  t.push_back(Cmd("action assign", kFu, "AssignAction", {"referral_id", "org_id", "description", "due_date"}, 3,
                  "assign a follow-up action to a board",
                  "remissctl action assign \"KS 2019/1939\" bromma-sdn \"Lokal trygghetsplan\" 2021-09-30"));
  t.push_back(Cmd("action done", kFu, "ReportActionDone", {"referral_id", "org_id", "action_id", "note"}, 3,
                  "report a follow-up action done (--done-on DATE)",
                  "remissctl action done \"KS 2019/1939\" bromma-sdn action-1 \"Planen antagen\""));
  t.push_back(Cmd("chain", kFu, "GetRevisionChain", {"referral_id"}, 1,
                  "a round and its revisions, each board's standpoint in each",
                  "remissctl chain \"KS 2023/739\"", View::kChain));
  // ---- notices (mail to the registry mailboxes) ----
  t.push_back(Table(Cmd("notices", kNo, "ListNotices", {"referral_id", "org_id"}, 1,
                        "what was mailed to each board's registry for a round, and what failed",
                        "remissctl notices \"KS 2019/1939\""),
                    "notices",
                    {"org_id=ORG", "kind=KIND", "state=STATE", "recipient=TO", "attempts=TRIES",
                     "delivered_at=DELIVERED", "last_reply=SERVER SAID", "notice_id=NOTICE"}));
  t.push_back(Cmd("notices retry", kNo, "RetryNotice", {"notice_id", "reason"}, 1,
                  "send a parked notice (the server refused it) again, to the board's mailbox as it is now",
                  "remissctl notices retry round.ks-2019-1939.bromma-sdn \"brevlådan rättad\""));
  t.push_back(Cmd("notices skip", kNo, "SkipNotice", {"notice_id", "reason"}, 2,
                  "give up on a notice: it is never sent",
                  "remissctl notices skip round.ks-2019-1939.bromma-sdn \"nämnden är nedlagd\""));
  // ---- operators ----
  t.push_back(Cmd("rebuild", kAdm, "RebuildProjections", {"service"}, 0,
                  "rebuild projections from the event log in the background, with a progress bar "
                  "(service: referrals, responses, deadlines, followup, notices)",
                  "remissctl rebuild followup", View::kRecord));
  t.push_back(Cmd("republish", kAdm, "RepublishEvents", {"service"}, 1,
                  "publish a service's whole log to its Kafka topic again (after the topic lost "
                  "its history; positions says so in relay_error)",
                  "remissctl republish referrals", View::kRecord));
  t.push_back(Cmd("restore", kAdm, "RestoreFromKafka", {"service"}, 1,
                  "restore a service whose disk was lost from its own Kafka topic (it waits for "
                  "this after starting on an empty data directory)",
                  "remissctl restore responses", View::kRecord));
  t.push_back(Cmd("digest", kAdm, "GetProjectionDigest", {"service"}, 0,
                  "a digest of the projections (compare before and after rebuild)",
                  "remissctl digest referrals", View::kRecord));
  t.push_back(Table(Cmd("positions", kAdm, "GetPositions", {"service"}, 0,
                        "log head, relay cursor and lag per service", "remissctl positions"),
                    "services", {"service=SERVICE", "log_position=LOG", "relay_enabled=RELAY",
                                 "relay_cursor=RELAY CURSOR", "relay_lag=LAG", "feeds.source=FEEDS FROM"}));
  t.push_back(Cmd("feeds", kAdm, "GetPositions", {"service"}, 0,
                  "every feed's position and any parked event (source, partition, position, reason)",
                  "remissctl feeds deadlines", View::kRecord));
  t.push_back(Cmd("feed retry", kAdm, "RetryParkedEvent", {"service", "source", "partition"}, 2,
                  "deliver a feed's parked event again (after a fix)",
                  "remissctl feed retry deadlines responses 0", View::kRecord));
  t.push_back(Cmd("feed skip", kAdm, "SkipParkedEvent",
                  {"service", "source", "partition", "position", "reason", "offset"}, 5,
                  "skip a feed's parked event; recorded as FeedEventSkipped with you and the "
                  "reason (a message that is not an envelope: position 0 and its offset)",
                  "remissctl feed skip deadlines responses 0 1234 \"trasig händelse, rättad i ärende 77\"",
                  View::kRecord));
  t.push_back(Cmd("clock", kAdm, "GetClock", {}, 0, "the server's clock", "remissctl clock", View::kRecord));
  Command set = Cmd("clock set", kAdm, "SetClock", {"to"}, 1,
                    "move a --manual-clock server to a time (Stockholm time or RFC 3339)",
                    "remissctl clock set \"2021-02-27 00:30\"", View::kRecord);
  set.every_server = true;
  t.push_back(set);
  Command adv = Cmd("clock advance", kAdm, "SetClock", {"advance"}, 1,
                    "move a --manual-clock server forward (1d, 2h30m, 86400s)",
                    "remissctl clock advance 1d", View::kRecord);
  adv.every_server = true;
  t.push_back(adv);
  t.push_back(Cmd("health", "grpc.health.v1.Health", "Check", {"service"}, 0,
                  "is every server serving", "remissctl health", View::kHealth));
  return t;
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command> table = Build();
  return table;
}

const Command* FindCommand(const std::vector<std::string>& args, size_t* consumed) {
  const Command* best = nullptr;
  for (const Command& c : Commands()) {
    size_t n = 1 + std::count(c.words.begin(), c.words.end(), ' ');
    if (n > args.size()) continue;
    std::string words;
    for (size_t i = 0; i < n; ++i) words += (i ? " " : "") + args[i];
    if (words == c.words && (!best || n > *consumed)) {
      best = &c;
      *consumed = n;
    }
  }
  return best;
}

}  // namespace remissctl
