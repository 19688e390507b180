// Distribution lists, addressing a round from them in one command, and registry mailboxes:
// the referrals domain's pure functions, as given state -> when command -> then events or
// refusal. KS 2019/1939 went to the district boards and some specialist boards.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "remiss/referrals/distribution_lists.h"
#include "remiss/referrals/domain.h"
#include "tests/support/domain_assertions.h"

namespace remiss::referrals {
namespace {

using namespace remiss::v1;
using remiss::testing::EventsAre;
using remiss::testing::InvalidArgument;
using remiss::testing::NoEvents;
using remiss::testing::Refused;

template <typename T>
T Parse(const std::string& text) {
  T message;
  if (!google::protobuf::TextFormat::ParseFromString(text, &message)) {
    ADD_FAILURE() << "not a valid " << T::descriptor()->name() << ": " << text;
  }
  return message;
}
ReferralEvent Ev(const std::string& text) { return Parse<ReferralEvent>(text); }

class ListsDomainTest : public ::testing::Test {
 protected:
  DecisionContext On(absl::CivilDay today) {
    DecisionContext ctx;
    ctx.now = absl::FromCivil(absl::CivilSecond(today.year(), today.month(), today.day(), 9, 30, 0),
                              absl::UTCTimeZone());
    ctx.today = today;
    ctx.organization_registered = [this](absl::string_view id) {
      return organizations_.count(std::string(id)) > 0;
    };
    ctx.referral_exists = [](absl::string_view) { return false; };
    ctx.distribution_list = [this](absl::string_view id) -> std::optional<DistributionList> {
      auto it = lists_.find(std::string(id));
      if (it == lists_.end()) return std::nullopt;
      return it->second;
    };
    return ctx;
  }
  void SetUp() override {
    lists_["samtliga-stadsdelsnamnder"] = Parse<DistributionList>(
        R"pb(list_id: "samtliga-stadsdelsnamnder" name: "samtliga stadsdelsnämnder"
             member_org_ids: [ "bromma-sdn", "hasselby-vallingby-sdn", "sodermalm-sdn" ]
             version: 1)pb");
    lists_["facknamnderna"] = Parse<DistributionList>(
        R"pb(list_id: "facknamnderna" name: "facknämnderna"
             member_org_ids: [ "socialnamnden", "utbildningsnamnden" ] version: 1)pb");
  }
  // The draft KS 2019/1939, deadline 2021-02-26, addressed to Bromma only.
  Referral Draft() {
    return Parse<Referral>(R"pb(referral_id: "ks-2019-1939" case_number: "KS 2019/1939"
                                title: "Stockholms stads trygghetsprogram 2020-2023"
                                sender_org_id: "ks" status: REFERRAL_STATUS_DRAFT
                                deadline: "2021-02-26"
                                addressees { org_id: "bromma-sdn" answer: ANSWER_KIND_REQUIRED
                                             stated_deadline: "2021-02-26" }
                                version: 3)pb");
  }
  Referral Issued() {
    Referral r = Draft();
    r.set_status(REFERRAL_STATUS_ISSUED);
    return r;
  }
  AddressReferralRequest Address(const std::string& text) {
    auto cmd = Parse<AddressReferralRequest>(text);
    cmd.set_command_id("address-1");
    cmd.set_referral_id("ks-2019-1939");
    return cmd;
  }
  static ReferralEvent Added(const std::string& org, const std::string& lists = "",
                             const std::string& override_date = "") {
    return Ev(absl::StrCat(R"pb(addressee_added { referral_id: "ks-2019-1939" addressee { org_id: ")pb",
                           org, R"pb(" deadline_override: ")pb", override_date,
                           R"pb(" answer: ANSWER_KIND_REQUIRED } )pb", lists, "}"));
  }

  std::set<std::string> organizations_ = {"ks", "bromma-sdn", "sodermalm-sdn",
                                          "hasselby-vallingby-sdn", "utbildningsnamnden",
                                          "socialnamnden", "kyrkogardsnamnden", "polisen"};
  std::map<std::string, DistributionList> lists_;
  DecisionContext ctx_ = On(absl::CivilDay(2020, 12, 1));
  const Referral draft_ = Draft();
  const Referral issued_ = Issued();
};

// ---- list ids ----

TEST(ListIdTest, DerivesAPlainSlugFromTheSwedishName) {
  EXPECT_EQ(ListIdForName("samtliga stadsdelsnämnder"), "samtliga-stadsdelsnamnder");
  EXPECT_EQ(ListIdForName("Facknämnderna"), "facknamnderna");
  EXPECT_EQ(ListIdForName("  Bolagen (AB Stokab, Stockholm Vatten)  "),
            "bolagen-ab-stokab-stockholm-vatten");
  EXPECT_EQ(ListIdForName("Råd & Öppna förvaltningar"), "rad-oppna-forvaltningar");
}

TEST(ListIdTest, AnIdIsItsOwnIdSoAListIsNamedByIdOrName) {
  for (const char* id : {"samtliga-stadsdelsnamnder", "facknamnderna", "bolagen-2024"}) {
    EXPECT_EQ(ListIdForName(id), id);
    EXPECT_TRUE(ValidateListId("list_id", id).ok());
  }
  EXPECT_EQ(ListIdForName(std::string(100, 'a')).size(), 64u);
  EXPECT_EQ(ListIdForName("§ — !"), "");
}

TEST(ListIdTest, RefusesWhatIsNoSlugNamingTheField) {
  for (const char* bad : {"", "a", "-lista", "lista-", "Lista", "lista med mellanslag", "å"}) {
    absl::Status s = ValidateListId("list_id", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(s.message(), "list_id: ")) << s;
  }
}

// ---- creating and changing lists ----

TEST_F(ListsDomainTest, CreateDerivesTheIdAndRecordsTheMembersSortedOnce) {
  auto cmd = Parse<CreateDistributionListRequest>(
      R"pb(command_id: "c1" name: "samtliga stadsdelsnämnder"
           member_org_ids: [ "sodermalm-sdn", "bromma-sdn", "hasselby-vallingby-sdn" ])pb");
  EXPECT_TRUE(EventsAre(Decide(cmd, nullptr, ctx_),
                        {Ev(R"pb(distribution_list_created {
                                   list_id: "samtliga-stadsdelsnamnder"
                                   name: "samtliga stadsdelsnämnder"
                                   member_org_ids: [ "bromma-sdn", "hasselby-vallingby-sdn", "sodermalm-sdn" ]
                                 })pb")}));
}

TEST_F(ListsDomainTest, CreateWithAGivenIdAndNoMembersYet) {
  auto cmd = Parse<CreateDistributionListRequest>(
      R"pb(command_id: "c1" list_id: "bolagen" name: "Bolagen i koncernen")pb");
  EXPECT_TRUE(EventsAre(Decide(cmd, nullptr, ctx_),
                        {Ev(R"pb(distribution_list_created { list_id: "bolagen"
                                                              name: "Bolagen i koncernen" })pb")}));
}

TEST_F(ListsDomainTest, CreateRefusesBadInputNamingTheField) {
  auto base = Parse<CreateDistributionListRequest>(
      R"pb(command_id: "c1" name: "facknämnderna" member_org_ids: [ "socialnamnden" ])pb");
  auto cmd = base;
  cmd.clear_name();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, nullptr, ctx_), "name"));
  cmd = base;
  cmd.set_name("§§§");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, nullptr, ctx_), "list_id", "give a list_id"));
  cmd = base;
  cmd.set_list_id("Fack Nämnder");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, nullptr, ctx_), "list_id"));
  cmd = base;
  cmd.add_member_org_ids("Socialnämnden");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, nullptr, ctx_), "member_org_ids[1]"));
  cmd = base;
  cmd.add_member_org_ids("socialnamnden");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, nullptr, ctx_), "member_org_ids[1]", "twice"));
  cmd = base;
  cmd.add_member_org_ids("okand-namnd");
  EXPECT_TRUE(Refused(Decide(cmd, nullptr, ctx_), absl::StatusCode::kNotFound,
                      "member_org_ids[1]", "okand-namnd"));
  EXPECT_TRUE(Refused(Decide(base, &lists_["facknamnderna"], ctx_),
                      absl::StatusCode::kAlreadyExists, "list_id"));
}

TEST_F(ListsDomainTest, ChangeRenamesAddsAndRemovesCarryingTheWholeNewList) {
  auto cmd = Parse<ChangeDistributionListRequest>(
      R"pb(command_id: "c2" list_id: "facknamnderna" name: "Facknämnderna 2024"
           add_org_ids: [ "kyrkogardsnamnden", "utbildningsnamnden" ]
           remove_org_ids: [ "socialnamnden" ])pb");
  EXPECT_TRUE(EventsAre(Decide(cmd, &lists_["facknamnderna"], ctx_),
                        {Ev(R"pb(distribution_list_changed {
                                   list_id: "facknamnderna"
                                   name: "Facknämnderna 2024"
                                   member_org_ids: [ "kyrkogardsnamnden", "utbildningsnamnden" ]
                                   previous_name: "facknämnderna"
                                   added_org_ids: [ "kyrkogardsnamnden" ]
                                   removed_org_ids: [ "socialnamnden" ]
                                 })pb")}));
}

TEST_F(ListsDomainTest, ChangeToWhatTheListAlreadyIsRecordsNothing) {
  auto cmd = Parse<ChangeDistributionListRequest>(
      R"pb(command_id: "c2" list_id: "facknamnderna" name: "facknämnderna"
           add_org_ids: [ "socialnamnden" ])pb");
  auto events = Decide(cmd, &lists_["facknamnderna"], ctx_);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_TRUE(NoEvents(*events));
}

TEST_F(ListsDomainTest, ChangeRefusals) {
  auto cmd = Parse<ChangeDistributionListRequest>(
      R"pb(command_id: "c2" list_id: "facknamnderna" add_org_ids: [ "polisen" ]
           remove_org_ids: [ "polisen" ])pb");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &lists_["facknamnderna"], ctx_), "remove_org_ids[0]",
                              "also in add_org_ids"));
  cmd = Parse<ChangeDistributionListRequest>(
      R"pb(command_id: "c2" list_id: "facknamnderna" remove_org_ids: [ "bromma-sdn" ])pb");
  EXPECT_TRUE(Refused(Decide(cmd, &lists_["facknamnderna"], ctx_), absl::StatusCode::kNotFound,
                      "remove_org_ids[0]", "not a member"));
  cmd = Parse<ChangeDistributionListRequest>(
      R"pb(command_id: "c2" list_id: "facknamnderna" add_org_ids: [ "socialnamnden", "nobody" ])pb");
  EXPECT_TRUE(Refused(Decide(cmd, &lists_["facknamnderna"], ctx_), absl::StatusCode::kNotFound,
                      "add_org_ids[1]"));
  cmd = Parse<ChangeDistributionListRequest>(R"pb(command_id: "c2" list_id: "bolagen" name: "B")pb");
  EXPECT_TRUE(Refused(Decide(cmd, nullptr, ctx_), absl::StatusCode::kNotFound, "list_id"));
  cmd.set_name(std::string(201, 'n'));  // control characters: core::CheckRequest, at the edge
  EXPECT_TRUE(InvalidArgument(Decide(cmd, nullptr, ctx_), "name"));
}

TEST(ListEvolveTest, FollowsCreatedAndChanged) {
  DistributionList list;
  Evolve(list, Ev(R"pb(distribution_list_created { list_id: "bolagen" name: "Bolagen"
                                                    member_org_ids: [ "stokab" ] })pb"));
  Evolve(list, Ev(R"pb(distribution_list_changed { list_id: "bolagen" name: "Bolagen 2024"
                                                    member_org_ids: [ "stokab", "svenska-bostader" ]
                                                    previous_name: "Bolagen"
                                                    added_org_ids: "svenska-bostader" })pb"));
  EXPECT_EQ(list.name(), "Bolagen 2024");
  EXPECT_EQ(list.member_org_ids_size(), 2);
  EXPECT_EQ(list.version(), 2u);
}

// ---- addressing a round from lists ----

TEST_F(ListsDomainTest, AddressFromTwoListsPlusASingleMinusASingleIsOneCommand) {
  auto cmd = Address(R"pb(distribution_list_ids: [ "samtliga-stadsdelsnamnder", "facknämnderna" ]
                          add_org_ids: "polisen" remove_org_ids: "socialnamnden")pb");
  // Bromma is already addressed; Socialnämnden is left out; the lists are named on each.
  EXPECT_TRUE(EventsAre(
      Decide(cmd, &draft_, ctx_),
      {Added("hasselby-vallingby-sdn", R"pb(distribution_list_ids: "samtliga-stadsdelsnamnder")pb"),
       Added("polisen"),
       Added("sodermalm-sdn", R"pb(distribution_list_ids: "samtliga-stadsdelsnamnder")pb"),
       Added("utbildningsnamnden", R"pb(distribution_list_ids: "facknamnderna")pb")}));
}

TEST_F(ListsDomainTest, ABodyOnTwoListsIsAddressedOnceNamingBoth) {
  lists_["facknamnderna"].add_member_org_ids("sodermalm-sdn");
  auto cmd = Address(R"pb(distribution_list_ids: [ "samtliga-stadsdelsnamnder", "facknamnderna" ])pb");
  auto events = Decide(cmd, &draft_, ctx_);
  ASSERT_TRUE(events.ok()) << events.status();
  int sodermalm = 0;
  for (const auto& e : *events) {
    if (e.addressee_added().addressee().org_id() != "sodermalm-sdn") continue;
    ++sodermalm;
    EXPECT_EQ(e.addressee_added().distribution_list_ids_size(), 2);
  }
  EXPECT_EQ(sodermalm, 1);
}

TEST_F(ListsDomainTest, RemovingACurrentAddresseeOfAnIssuedRoundNeedsAReason) {
  auto cmd = Address(R"pb(remove_org_ids: "bromma-sdn")pb");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &issued_, ctx_), "reason"));
  cmd.set_reason("Bromma besvarar remissen genom facknämnden.");
  EXPECT_TRUE(EventsAre(Decide(cmd, &issued_, ctx_),
                        {Ev(R"pb(addressee_removed { referral_id: "ks-2019-1939"
                                                     org_id: "bromma-sdn"
                                                     reason: "Bromma besvarar remissen genom facknämnden." })pb")}));
}

TEST_F(ListsDomainTest, AddressingAnIssuedRoundAfterItsDeadlineNeedsAnOverride) {
  auto cmd = Address(R"pb(distribution_list_ids: "facknamnderna")pb");
  DecisionContext march = On(absl::CivilDay(2021, 3, 1));
  EXPECT_TRUE(Refused(Decide(cmd, &issued_, march),
                      absl::StatusCode::kFailedPrecondition, "deadline"));
  cmd.set_deadline_override("2021-03-31");
  auto events = Decide(cmd, &issued_, march);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].addressee_added().addressee().deadline_override(), "2021-03-31");
}

TEST_F(ListsDomainTest, NothingNewToAddressRecordsNothing) {
  auto cmd = Address(R"pb(add_org_ids: "bromma-sdn" remove_org_ids: "polisen")pb");
  auto events = Decide(cmd, &draft_, ctx_);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_TRUE(NoEvents(*events));
}

TEST_F(ListsDomainTest, AddressRefusesUnknownListsAndOrgsAndBadFieldsNamingThem) {
  const Referral draft = Draft();
  EXPECT_TRUE(InvalidArgument(Decide(Address(""), &draft, ctx_), "distribution_list_ids"));
  EXPECT_TRUE(Refused(Decide(Address(R"pb(distribution_list_ids: [ "facknamnderna", "bolagen" ])pb"),
                             &draft, ctx_),
                      absl::StatusCode::kNotFound, "distribution_list_ids[1]", "bolagen"));
  EXPECT_TRUE(InvalidArgument(
      Decide(Address(R"pb(distribution_list_ids: [ "facknamnderna", "Facknämnderna" ])pb"), &draft,
             ctx_),
      "distribution_list_ids[1]", "twice"));
  EXPECT_TRUE(InvalidArgument(Decide(Address(R"pb(distribution_list_ids: "")pb"), &draft, ctx_),
                              "distribution_list_ids[0]"));
  EXPECT_TRUE(Refused(Decide(Address(R"pb(add_org_ids: [ "polisen", "brandforsvaret" ])pb"), &draft,
                             ctx_),
                      absl::StatusCode::kNotFound, "add_org_ids[1]", "brandforsvaret"));
  EXPECT_TRUE(InvalidArgument(Decide(Address(R"pb(add_org_ids: "Polisen")pb"), &draft, ctx_),
                              "add_org_ids[0]"));
  EXPECT_TRUE(Refused(Decide(Address(R"pb(remove_org_ids: "nobody")pb"), &draft, ctx_),
                      absl::StatusCode::kNotFound, "remove_org_ids[0]"));
  EXPECT_TRUE(InvalidArgument(
      Decide(Address(R"pb(add_org_ids: "polisen" remove_org_ids: "polisen")pb"), &draft, ctx_),
      "remove_org_ids[0]"));
  EXPECT_TRUE(InvalidArgument(
      Decide(Address(R"pb(add_org_ids: "polisen" deadline_override: "2021-02-30")pb"), &draft, ctx_),
      "deadline_override"));
  EXPECT_TRUE(Refused(Decide(Address(R"pb(add_org_ids: "polisen")pb"), nullptr, ctx_),
                      absl::StatusCode::kNotFound, "referral_id"));
  Referral closed = Issued();
  closed.set_status(REFERRAL_STATUS_CLOSED);
  EXPECT_TRUE(Refused(Decide(Address(R"pb(add_org_ids: "polisen")pb"), &closed, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status"));
}

TEST_F(ListsDomainTest, AddressingBeyondTheCapOfARoundIsRefused) {
  Referral draft = Draft();
  for (int i = 1; i < 1000; ++i) {
    Addressee* a = draft.add_addressees();
    a->set_org_id(absl::StrCat("org-", i));
  }
  EXPECT_TRUE(InvalidArgument(Decide(Address(R"pb(add_org_ids: "polisen")pb"), &draft, ctx_),
                              "addressees"));
}

TEST_F(ListsDomainTest, CreateReferralAddressesTheDraftFromListsInTheSameCommand) {
  auto cmd = Parse<CreateReferralRequest>(
      R"pb(command_id: "create" case_number: "KS 2019/1939"
           title: "Stockholms stads trygghetsprogram 2020-2023" sender_org_id: "ks"
           distribution_list_ids: "samtliga stadsdelsnämnder" add_org_ids: "utbildningsnamnden"
           remove_org_ids: "sodermalm-sdn")pb");
  auto events = Decide(cmd, nullptr, ctx_);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 4u);
  EXPECT_TRUE((*events)[0].has_referral_drafted());
  EXPECT_TRUE(remiss::testing::ProtoIs(
      (*events)[1], Added("bromma-sdn", R"pb(distribution_list_ids: "samtliga-stadsdelsnamnder")pb")));
  EXPECT_TRUE(remiss::testing::ProtoIs(
      (*events)[2],
      Added("hasselby-vallingby-sdn", R"pb(distribution_list_ids: "samtliga-stadsdelsnamnder")pb")));
  EXPECT_TRUE(remiss::testing::ProtoIs((*events)[3], Added("utbildningsnamnden")));

  cmd.set_distribution_list_ids(0, "bolagen");
  EXPECT_TRUE(Refused(Decide(cmd, nullptr, ctx_), absl::StatusCode::kNotFound,
                      "distribution_list_ids[0]"));
}

TEST_F(ListsDomainTest, AnAddresseeFromAListEvolvesLikeAnyOther) {
  Referral draft = Draft();
  Evolve(draft, Added("sodermalm-sdn", R"pb(distribution_list_ids: "samtliga-stadsdelsnamnder")pb"),
         ctx_.now);
  ASSERT_EQ(draft.addressees_size(), 2);
  EXPECT_EQ(draft.addressees(1).stated_deadline(), "2021-02-26");
}

// ---- registry mailboxes ----

TEST(RegistryMailboxTest, AcceptsPlainFunctionalAddresses) {
  for (const char* ok : {"", "registrator.bromma@stockholm.se", "kyrkogard.registrator@edu.stockholm.se",
                         "FI.REGISTRATOR@regeringskansliet.se", "a+b_c@x-y.se"}) {
    EXPECT_TRUE(ValidateRegistryMailbox("registry_mailbox", ok).ok()) << ok;
  }
}

TEST(RegistryMailboxTest, RefusesWhatIsNoPlainAddressNamingTheField) {
  for (std::string bad : {std::string("registrator"), std::string("a@b"), std::string("@stockholm.se"),
                          std::string("a@@stockholm.se"), std::string("a b@stockholm.se"),
                          std::string(".a@stockholm.se"), std::string("a..b@stockholm.se"),
                          std::string("a@-x.se"), std::string("a@x..se"), std::string("å@x.se"),
                          std::string("a@x.se\n"), std::string("Bromma <a@x.se>"),
                          std::string(65, 'a') + "@x.se", "a@" + std::string(200, 'x') + ".se"}) {
    absl::Status s = ValidateRegistryMailbox("registry_mailbox", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(s.message(), "registry_mailbox: ")) << s;
  }
}

// Finding 9: a mailbox goes into mailto: links (and will be a real recipient of mail): what
// would add a recipient, a subject or a body there (?, &, =, %, /, #) is no part of an address.
TEST(RegistryMailboxTest, RefusesWhatWouldAddRecipientsOrABodyToAMailtoLink) {
  for (const char* bad : {"reg?cc=ut%40evil.example@stockholm.se", "reg&bcc=ut@stockholm.se",
                          "x?body=Bifogat@stockholm.se", "a%40evil.example@stockholm.se", "a/b@stockholm.se",
                          "a#b@stockholm.se", "a=b@stockholm.se", "a'b@stockholm.se", "a!b@stockholm.se",
                          "{a}@stockholm.se", "a*b@stockholm.se", "a|b@stockholm.se"}) {
    absl::Status s = ValidateRegistryMailbox("registry_mailbox", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(s.message(), "registry_mailbox: ")) << s;
  }
}

TEST(RegistryMailboxTest, RegisterCarriesItAndSetChangesOrClearsIt) {
  auto reg = Parse<RegisterOrganizationRequest>(
      R"pb(command_id: "r" org_id: "bromma-sdn" name: "Bromma stadsdelsnämnd"
           kind: ORGANIZATION_KIND_STADSDELSNAMND diary_prefix: "BRO"
           registry_mailbox: "registrator.bromma@stockholm.se")pb");
  auto registered = Decide(reg, nullptr);
  ASSERT_TRUE(registered.ok()) << registered.status();
  Organization org;
  Evolve(org, (*registered)[0]);
  EXPECT_EQ(org.registry_mailbox(), "registrator.bromma@stockholm.se");

  auto set = Parse<SetRegistryMailboxRequest>(
      R"pb(command_id: "m" org_id: "bromma-sdn" registry_mailbox: "bromma@stockholm.se")pb");
  EXPECT_TRUE(EventsAre(Decide(set, &org),
                        {Ev(R"pb(registry_mailbox_set {
                                   org_id: "bromma-sdn"
                                   registry_mailbox: "bromma@stockholm.se"
                                   previous_registry_mailbox: "registrator.bromma@stockholm.se"
                                 })pb")}));
  Evolve(org, Decide(set, &org)->front());
  EXPECT_EQ(org.registry_mailbox(), "bromma@stockholm.se");
  auto same = Decide(set, &org);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(NoEvents(*same));

  // UpdateOrganization keeps the mailbox.
  Evolve(org, Ev(R"pb(organization_updated { org_id: "bromma-sdn" name: "Bromma"
                                             kind: ORGANIZATION_KIND_STADSDELSNAMND })pb"));
  EXPECT_EQ(org.registry_mailbox(), "bromma@stockholm.se");

  set.set_registry_mailbox("");
  auto cleared = Decide(set, &org);
  ASSERT_TRUE(cleared.ok());
  Evolve(org, cleared->front());
  EXPECT_EQ(org.registry_mailbox(), "");
}

TEST(RegistryMailboxTest, RefusalsNameTheField) {
  auto reg = Parse<RegisterOrganizationRequest>(
      R"pb(command_id: "r" org_id: "bromma-sdn" name: "Bromma stadsdelsnämnd"
           kind: ORGANIZATION_KIND_STADSDELSNAMND registry_mailbox: "registrator")pb");
  EXPECT_TRUE(InvalidArgument(Decide(reg, nullptr), "registry_mailbox"));
  auto set = Parse<SetRegistryMailboxRequest>(
      R"pb(command_id: "m" org_id: "bromma-sdn" registry_mailbox: "x@y")pb");
  EXPECT_TRUE(InvalidArgument(Decide(set, nullptr), "registry_mailbox"));
  set.set_registry_mailbox("registrator@stockholm.se");
  EXPECT_TRUE(Refused(Decide(set, nullptr), absl::StatusCode::kNotFound, "org_id"));
}

}  // namespace
}  // namespace remiss::referrals
