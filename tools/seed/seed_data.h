// The seed rounds' data: the scenario's calendar, the organizations, both rounds (KS 2019/1939
// and its revision KS 2023/739) and what each board's documents say (/work/shared/seeds,
// described in DOMAIN.md). Where a document gives no date, paragraph or diary number, one is
// chosen and marked "chosen:"; Skärholmen's and socialnämnden's answers are not in the seeds
// at all and are made up to show an extension and a late answer.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "remiss/v1/followup.pb.h"
#include "remiss/v1/referrals.pb.h"
#include "remiss/v1/responses.pb.h"

namespace remiss::seed {

using namespace remiss::v1;  // NOLINT: the API's messages, throughout the seed data

// =====================================================================================
// Time: everything happens in Stockholm.
// =====================================================================================

inline const absl::TimeZone& Stockholm() {
  static const absl::TimeZone* tz = [] {
    auto* zone = new absl::TimeZone;
    if (!absl::LoadTimeZone("Europe/Stockholm", zone)) {
      throw std::runtime_error("cannot load the time zone Europe/Stockholm");
    }
    return zone;
  }();
  return *tz;
}

inline absl::Time At(absl::CivilSecond local) { return absl::FromCivil(local, Stockholm()); }

// What a submitted_at looks like in the views (RFC 3339, UTC).
inline std::string Utc(absl::CivilSecond local) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", At(local), absl::UTCTimeZone());
}

inline google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// The scenario's calendar: when each user acts (Stockholm time). The documents' own dates
// (meetings, attestations, consultations) are in the seed data further down.
inline constexpr absl::CivilSecond kStart{2020, 12, 1, 9, 0, 0};
inline constexpr char kStartFlag[] = "2020-12-01T09:00:00+01:00";
// KS 2019/1939
inline constexpr absl::CivilSecond kKsRegistersOrganizations{2020, 12, 1, 9, 15, 0};
inline constexpr absl::CivilSecond kKsDraftsRound2019{2020, 12, 8, 10, 0, 0};      // chosen
inline constexpr absl::CivilSecond kKsIssuesRound2019{2020, 12, 10, 9, 0, 0};      // chosen
inline constexpr absl::CivilSecond kBrommaAndHvRegister{2020, 12, 14, 10, 0, 0};   // chosen
inline constexpr absl::CivilSecond kSodermalmAndUtnRegister{2020, 12, 15, 10, 0, 0};  // chosen
inline constexpr absl::CivilSecond kSkarholmenAndSocRegister{2020, 12, 16, 10, 0, 0};  // chosen
inline constexpr absl::CivilSecond kBrommaAndHvDraft{2021, 2, 4, 10, 0, 0};        // chosen
// 001: attested on 2021-02-05; the councils met on 15 and 16 February.
inline constexpr absl::CivilSecond kSodermalmDraftsAndAttests{2021, 2, 5, 11, 0, 0};
inline constexpr absl::CivilSecond kUtnDrafts{2021, 2, 8, 10, 0, 0};               // chosen
inline constexpr absl::CivilSecond kUtnBoardMeets{2021, 2, 11, 19, 0, 0};          // chosen
inline constexpr absl::CivilSecond kUtnSubmits{2021, 2, 12, 9, 30, 0};             // chosen
inline constexpr absl::CivilSecond kSkarholmenAsksForTime{2021, 2, 15, 9, 0, 0};   // made up
inline constexpr absl::CivilSecond kKsGrantsExtension{2021, 2, 16, 10, 0, 0};      // made up
inline constexpr absl::CivilSecond kSodermalmRecordsConsultations{2021, 2, 16, 16, 0, 0};
inline constexpr absl::CivilSecond kBrommaAndHvBoardsMeet{2021, 2, 18, 19, 0, 0};  // chosen
inline constexpr absl::CivilSecond kBrommaAndHvSubmit{2021, 2, 19, 9, 0, 0};       // chosen
inline constexpr absl::CivilSecond kSkarholmenDrafts{2021, 2, 22, 10, 0, 0};       // made up
inline constexpr absl::CivilSecond kSodermalmBoardMeets{2021, 2, 25, 20, 0, 0};    // 001: dated 2021-02-25
inline constexpr absl::CivilSecond kSodermalmSubmits{2021, 2, 25, 20, 30, 0};      // 001: 2021-02-25
inline constexpr absl::CivilSecond kDayAfterTheDeadline{2021, 2, 27, 8, 30, 0};    // past 2021-02-26
inline constexpr absl::CivilSecond kSocDrafts{2021, 3, 1, 10, 0, 0};               // made up
inline constexpr absl::CivilSecond kSocSubmitsLate{2021, 3, 3, 14, 0, 0};          // made up
inline constexpr absl::CivilSecond kSkarholmenBoardMeets{2021, 3, 11, 19, 0, 0};   // made up
inline constexpr absl::CivilSecond kSkarholmenSubmits{2021, 3, 12, 9, 0, 0};      // made up
inline constexpr absl::CivilSecond kKsCompiles{2021, 3, 15, 10, 0, 0};             // chosen
inline constexpr absl::CivilSecond kKsRecordsAdoption{2021, 6, 15, 10, 0, 0};      // the day after KF
inline constexpr absl::CivilSecond kUtnReportsCoordinator{2021, 9, 1, 10, 0, 0};   // made up
// KS 2023/739
inline constexpr absl::CivilSecond kKsIssuesRevision{2023, 11, 6, 10, 0, 0};       // chosen
inline constexpr absl::CivilSecond kRevisionRegistered{2023, 11, 8, 10, 0, 0};     // chosen
inline constexpr absl::CivilSecond kKyrkogardAttests{2023, 11, 21, 10, 26, 55};    // 002's signature
inline constexpr absl::CivilSecond kKyrkogardForvaltningsgrupp{2023, 12, 5, 15, 0, 0};  // 002: 5 Dec
inline constexpr absl::CivilSecond kBrommaAnswersRevision{2023, 12, 7, 11, 0, 0};  // made up
inline constexpr absl::CivilSecond kRevisionBoardsMeet{2023, 12, 14, 19, 0, 0};    // chosen
inline constexpr absl::CivilSecond kRevisionSubmitted{2023, 12, 15, 14, 0, 0};     // chosen
inline constexpr absl::CivilSecond kKsLooksAtEverything{2023, 12, 18, 10, 0, 0};   // before 2023-12-20
// =====================================================================================
// Seed data: the organizations, the rounds, and what each board's documents say.
// =====================================================================================

struct OrgSpec {
  const char* id;
  const char* name;
  OrganizationKind kind;
  const char* diary_prefix;
  const char* registry_mailbox = "";  // the registrator's functional address (made up)
  bool may_send_rounds = false;       // a ks of it records and runs rounds (KS only)
};

inline constexpr char kKs[] = "ks";
inline constexpr char kBromma[] = "bromma-sdn";
inline constexpr char kSodermalm[] = "sodermalm-sdn";
inline constexpr char kHasselbyVallingby[] = "hasselby-vallingby-sdn";
inline constexpr char kSkarholmen[] = "skarholmen-sdn";  // asks for an extension (made up)
inline constexpr char kUtbildning[] = "utbildningsnamnden";
inline constexpr char kSocial[] = "socialnamnden";  // answers late (made up)
inline constexpr char kKyrkogard[] = "kyrkogardsnamnden";

inline const std::vector<OrgSpec>& Organizations() {
  static const std::vector<OrgSpec> orgs = {
      // First: KS registers itself as the organization that may send rounds (the first
      // start's concession), then the boards.
      {kKs, "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE, "KS",
       "registrator.slk@example.stockholm.se", /*may_send_rounds=*/true},
      {kBromma, "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "BRO",
       "registrator.bromma@example.stockholm.se"},
      {kSodermalm, "Södermalms stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "SÖ",
       "registrator.sodermalm@example.stockholm.se"},
      {kHasselbyVallingby, "Hässelby-Vällingby stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND,
       "HV", "registrator.hasselby-vallingby@example.stockholm.se"},
      {kSkarholmen, "Skärholmens stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "SKÄ",
       "registrator.skarholmen@example.stockholm.se"},
      {kUtbildning, "Utbildningsnämnden", ORGANIZATION_KIND_FACKNAMND, "UTN",
       "registrator.utbildning@example.stockholm.se"},
      // Socialnämnden's mailbox is set later, by SetRegistryMailbox (the scenario shows both).
      {kSocial, "Socialnämnden", ORGANIZATION_KIND_FACKNAMND, "SOC"},
      {kKyrkogard, "Kyrkogårdsnämnden", ORGANIZATION_KIND_FACKNAMND, "KYF",  // chosen prefix
       "registrator.kyrkogard@example.stockholm.se"},
  };
  return orgs;
}

// Set by SetRegistryMailbox after registration.
inline constexpr char kSocialMailbox[] = "registrator.socialforvaltningen@example.stockholm.se";

// KS's saved distribution lists (sändlistor).
struct ListSpec {
  const char* name;
  const char* list_id;  // what the name gives
  std::vector<std::string> members;
};

inline const std::vector<ListSpec>& DistributionLists() {
  static const std::vector<ListSpec> lists = {
      {"samtliga stadsdelsnämnder", "samtliga-stadsdelsnamnder",
       {kBromma, kSodermalm, kHasselbyVallingby, kSkarholmen}},
      {"facknämnderna", "facknamnderna", {kUtbildning, kSocial, kKyrkogard}},
  };
  return lists;
}

inline std::string OrgName(absl::string_view org_id) {
  for (const OrgSpec& org : Organizations()) {
    if (org.id == org_id) return org.name;
  }
  return "";
}

inline Document Doc(const char* id, const char* title, const char* sha256) {
  Document d;
  d.set_id(id);
  d.set_title(title);
  d.set_uri(absl::StrCat("urn:remiss:document:", id));
  d.set_sha256(sha256);
  return d;
}

// sha256 of the program's title and of the seed documents' text (the contents the tests have).
inline Document Program2020() {
  return Doc("bilaga-1", "Stockholms stads trygghetsprogram 2020-2023",
             "f268b8c07c5194e1815f94974a90f687932771199c556d2f3aace03af58c1531");
}
inline Document Program2024() {
  return Doc("bilaga-1", "Stockholms stads trygghetsprogram 2024-2027",
             "4cfe66e5964a1758d7c09dc175adcb8f65f3e61961c8f9cfe34537e2fd5f01c1");
}

struct RoundSpec {
  const char* case_number;
  const char* referral_id;
  const char* title;
  const char* summary;
  Document program;
  std::vector<std::string> addressees;  // who the round is addressed to, in the end
  const char* deadline;
  // How KS addresses it in one command: lists, plus singles, minus singles.
  std::vector<std::string> lists = {};
  std::vector<std::string> remove = {};
};

inline RoundSpec Round2019() {
  return {"KS 2019/1939",
          "ks-2019-1939",
          "Stockholms stads trygghetsprogram 2020-2023",
          "Stockholms stads trygghets- och säkerhetsprogram 2018-2021 har reviderats och föreslås "
          "ersättas av Stockholms stads trygghetsprogram 2020-2023. Förslaget till "
          "trygghetsprogram ska gälla samtliga nämnder och bolagsstyrelser.",
          Program2020(),
          {kBromma, kSodermalm, kHasselbyVallingby, kSkarholmen, kUtbildning, kSocial},
          "2021-02-26",
          // Every district board and the specialist boards but kyrkogårdsnämnden.
          {"samtliga-stadsdelsnamnder", "facknamnderna"},
          {kKyrkogard}};
}

inline RoundSpec Round2023() {
  return {"KS 2023/739",
          "ks-2023-739",
          "Stockholms stads trygghetsprogram 2024-2027",
          "Stockholm stads trygghetsprogram 2020-2023 antogs av kommunfullmäktige 2021 och har nu "
          "reviderats.",
          Program2024(),
          {kKyrkogard, kBromma, kUtbildning, kHasselbyVallingby},
          "2023-12-20"};
}

// ---- 000: Bromma stadsdelsnämnd, protocol extract § 5, BRO 2020/440 ----

// The texts of the protocol extract, verbatim (line breaks of the extract joined).
inline constexpr char kBrommaSummary[] = R"txt(I samband med budget för 2019 gavs kommunstyrelsen i uppdrag att revidera Stockholms stads Trygghets- och säkerhetsprogram 2018-2021. Stockholms stads Trygghetsprogram föreslås, att tillsammans med Stockholms stads Säkerhetsprogram 2020-2023, ersätta ”För ett tryggare och säkrare Stockholm – Stockholms stads trygghets- och säkerhetsprogram 2018-2021”. Förslaget till Trygghetsprogram föreslås gälla samtliga nämnder och bolagsstyrelser. Förvaltningen ställer sig positiv till förslaget och ser inga större hinder för att Stockholms stads Trygghetsprogram 2020-2023 antas och ersätter Stockholms stads Trygghets- och säkerhetsprogram 2018-2021, gällande stadens brottsförebyggande och trygghetsskapande arbete.)txt";

inline constexpr char kBrommaReservationS[] = R"txt(Delvis godkänna förvaltningens förslag till beslut och därutöver anföra följande:

Arbetet för jämlikhet och mot segregation är avgörande om vi ska skapa ett tryggare Stockholm. Vi vill att alla stadsdelar ska vara trygga. Att Stockholm är och upplevs som en trygg och säker stad är ett ansvar som vilar på samtliga nämnder och bolagsstyrelser. Det är genom förebyggande systematiskt säkerhetsarbete, riktade insatser och trygghetsskapande åtgärder i den fysiska miljön, samt ett omfattande preventivt socialt arbete som trygghet kan uppnås.

Den gängkriminalitet som plågat vissa av Stockholms stadsdelar måste brytas. Att rekryteringen till gängen tillåtits fortsätta är ett misslyckande för inte minst Stockholms stad som får sägas ha huvudansvaret för att bryta denna utveckling i Stockholm. Historiskt dåliga förutsättningar för socialtjänsten under tidigare mandatperioder och till skolan under innevarande år bidrar till detta. Det räcker inte att det står fina skrivningar i programmet om hur viktigt det är med arbetsmarknadsinsatser för unga eller att skolan är en av de viktigaste skyddsfaktorerna för att förhindra att barn och unga hamnar i kriminalitet om resurser inte avsätts. Verksamheterna som utgör grunden i trygghetsarbetet måste ges förutsättningar att bedriva sitt arbete. Minskade resurser till förskolan, avskaffad 90-dagarsgarani och nedläggning av fritidsgårdar är fel väg att gå.

I förslaget till trygghetsprogram framhålls vikten av samverkan. Det är oerhört viktigt med båda intern och extern samverkan för ett framgångsrikt trygghetsarbete. Samtliga nämnder och bolagsstyrelser behöver bli ännu bättre i att samverka med varandra och med andra aktörer som polisen, regionen, näringslivet och föreningslivet. Men för att kunna samverka krävs det att varje verksamhet är medveten om hur den egna verksamheten bidrar till ett tryggare Stockholm både kortsiktigt och långsiktigt. Tyvärr har vi sett hur stadens ledning vid ett flertal tillfällen försökt frånsäga sig ansvaret för trygghetsarbetet. Istället för att höja ambitionerna för stadens förebyggande arbete har ledningen önskat att flytta fokus till vad regeringen och andra aktörer bör göra. Det sänder fel signaler till stadens verksamheter. Staden förfogar över många verktyg som kan användas för att stärka tryggheten.

Vi vill understryka de synpunkter som miljöförvaltningen lyfter om att programmet hade tjänat på att lyft oron och rädslan för miljön och klimatet som medborgarna känner. Oron har en stor påverkan för stockholmarnas upplevelse av trygghet. Vi anser att ett miljöperspektiv ska tillföras i programmet.

Vidare saknar vi i programmet skrivningar om segregationens effekter på trygghet. Att blunda för vilka risker som sociala skillnader innebär kan försvaga stadens förståelse och beredskap för social oro. Man kan ställa sig frågande till varför majoriteten inte vill ta upp sociala skillnader och om det finns en koppling till de senaste årens nedskärningar på det förebyggande arbetet som till exempel förskola, skola och feriejobb till unga. De besparingar som majoriteten tror sig göra idag kommer att kosta staden ofantliga summor i framtiden när färre barn klarar kunskapsmålen och segregationen ökar.

Det offentliga rummet tillhör alla. Alla, oavsett kön och ålder, ska kunna känna sig trygga överallt i vår stad. Men verkligheten är att många stockholmare upplever otrygghet i det offentliga rummet. Det var därför som vi i den dåvarande majoriteten år 2018 införde en trygghetsfond med 200 miljoner kronor. Fonden syftar till att möjliggöra stadsmiljöåtgärder som förebygger brott och bidrar till ökad trygghet, säkerhet och trivsel. Det kan exempelvis handla om bättre belysning, kameror, pollare, offentlig närvaro och liknande projekt för att förstärka den fysiska tryggheten.

Fonden har varit uppskattad av nämnderna. Tyvärr ser vi hur den borgerliga majoriteten under sina två år har byråkratiserat, försvårat och stoppat insatser. Syftet med fonden om att öka tryggheten och säkerheten genom att låta stadsdelar och nämnder lokalt identifiera otrygga platser tillsammans med polis, näringsliv, föreningsliv och medborgare har försvårats. Till exempel har flertalet nämnder identifierat otrygga platser och ansökt medel men sett hur deras ansökan avslagits med en uppmaning att inkomma med en ny ansökan igen. Viktiga trygghetsinvesteringar har tyvärr uteblivit.

Programmet knyter an till översiktsplanen vilket vi anser är bra. Problemet är återigen att majoritetens handling inte överensstämmer med målsättningarna och insatserna som lyfts i programmet. Fokus Skärholmen lyfts fram som ett positivt arbete samtidigt som man har valt att omorganisera projektet och minska resurserna. Man talar även varmt om de strategiska sambanden samtidigt som man stoppar många av ambitionerna i det samband som kommit längst, nämligen Spångadalen.

Under våren 2020 beslutade kommunfullmäktige om Stockholms stads säkerhetsprogram. Det är beklagligt att majoriteten valde att remittera ut säkerhetsprogrammet och trygghetsprogrammet vid olika tillfällen eftersom trygghet och säkerhet hänger ihop i en väldigt stor utsträckning. Det hade varit av stort värde om stadens verksamheter hade getts möjlighet att framföra synpunkter med båda programmen framför sig.)txt";

inline constexpr char kBrommaStatementMLMPC[] = R"txt(Den grönblå majoriteten ställer sig bakom förvaltningens svar på samrådet och vill härutöver anföra följande:

Pensionärs- och funktionshinderrådet uppmärksammar båda avsaknaden på dessa två perspektiv i Trygghetsprogrammet där de endast omnämns som särskilt utsatta brottsoffer. Funktionshinderrådet i Bromma anser att programmet i dess nuvarande form inte är tillräckligt genomarbetat och pensionärsrådet anser att programmet tar för lite hänsyn till äldre och äldreperspektivet bör bli tydligare i programmet.

Programmet är tänkt att som ett övergripande paraply och inkluderar ett antal olika underliggande styrdokument som berör specifika områden. För att säkerställa att programmet blir så kraftfullt som Stockholm har behov av bör alla underliggande styrdokument listas med hyperlänkar i slutet så att man förstår helheten i programmet samt enkelt kan få fram den information som behövs.)txt";

inline constexpr char kBrommaStatementV[] = R"txt(När nu majoriteten valt att dela upp program för säkerhet och trygghet borde programmen gått ut på remiss samtidigt för att det ska vara möjligt att få överblick över helheten i hur trygghets- och säkerhetsarbetet ska bedrivas. Istället har programmen delats upp och säkerhetsprogrammet behandlades under 2019, vilket vi tycker är beklagligt. Trygghetsprogrammet ska gälla från och med 2020 vilket av uppenbara skäl inte är möjligt, det bör korrigeras till 2021-2023.

Programmet fäster stor vikt vid brottsprevention och stadsmiljöfrågor. Det är två mycket viktiga delar i att skapa ett tryggare Bromma och en trygg stad, men vi saknar ett tydligare fokus på sociala förebyggande insatser som leder till ökad jämlikhet. Det räcker inte med en ren och välskött stadsmiljö för att stärka tryggheten och förebygga brottslighet. En stabil och välfungerande socialtjänst som invånarna känner högt förtroende för är helt avgörande för ett lyckat trygghetsarbete. Vi vill sänka trösklarna för tidiga insatser och ge ytterligare förutsättningar för god samverkan med förskola, skola, fritidsverksamheter, civilsamhälle och andra myndigheter utifrån bland annat de rekommendationer som lämnades i Kommissionen för ett socialt hållbart Stockholm.

Trygghetsprogrammet pekar ut stadsdelsnämnderna som en av de mest centrala aktörerna för genomförandet av programmet. Stadsdelsnämnderna får genom programmet även ett stort ansvar för uppföljning och samordning av trygghetsskapande insatser. Förskola, socialtjänst samt fritidsverksamheter och aktiviteter för barn och unga beskrivs som högt prioriterade områden. Vi håller med om detta men kan samtidigt konstatera att den borgerliga majoriteten under tre års tid genomfört kraftiga besparingar inom dessa områden. Stadsdelsnämnderna har redan ett mycket omfattande ansvarsområde och bedriver stor del av stadens viktiga kärnverksamhet och skulle behöva en stärkt finansiering.

Liksom i säkerhetsprogrammet efterfrågar vi tydligare skrivningar om socioekonomisk segregation i staden. Det finns forskning om segregation och dess effekter, bland annat från Stockholms universitet som kan vara behjälplig i dessa analyser. Programmet bör också kompletteras med analyser av vilka effekter den ökade ekonomiska ojämlikheten i staden får på säkerhetsarbetet, bland annat i form av tillit i samhället i stort, vilket lyfts i programmet som en del av det övergripande målet med stadens säkerhetsarbete. Trygghetsprogrammet skulle även kunna lyfta fram vilka åtgärder som behövs för att öka tillit och tilltro till staden. Även när det rör ekonomisk ojämlikhet och tillit finns det forskning som kan vara vägledande. Det faktum att Sverige har gått från att vara ett av de länder vars skattesystem omfördelar mest till att ha det minst omfördelande skattesystemet inom EU:s kärnländer sätter fokus på att enbart ett kommunalt trygghetsprogram aldrig kan öka tryggheten för de mest otrygga. Trygghet är liksom det mesta i samhället en klassfråga.

Slutligen vill vi också framhålla att det när det kommer till kommunikation är mycket viktigt att komplettera programmet med skrivningar om hur kommunikationen ska vara tillgänglig för alla oavsett funktionsvariation.)txt";

inline constexpr char kBrommaStatementSD[] = R"txt(Ett nytt program har tagits fram med syfte att förbättra tryggheten för våra invånare. Även om vi tror att intentionerna är goda så ställer vi oss frågande till att tid och fokus läggs på att upprepa redan beprövade metoder. Vi hade istället velat se att det brottspreventiva arbetet som redan gjorts utvärderades, för att på så sätt se vilka lösningar som varit effektiva och vilka som varit det motsatta.

Trots att Stockholms stad under flera decennier bedrivit ett dyrt och omfattande brottspreventivt arbete blir brottsligheten allt grövre och kriminaliteten sjunker ner i åldrarna. Den alltmer påtagliga kriminaliteten har orsakat många medborgare oro för deras egen, deras familjer och i synnerhet deras barns, säkerhet.

Att staden parallellt med det skulle lyckas halvera otryggheten samt inte ha några utsatta eller särskilt utsatta områden till år 2025 framstår som en omöjlig målsättning och vi vill därför peka på vikten av att faktiskt utvärdera arbetet för att det ska kunna bli så effektivt som möjligt.)txt";

inline constexpr char kBrommaDecisionText[] =
    "Stadsdelsnämnden överlämnar remissvaret Stockholms stads Trygghetsprogram 2020-2023 till "
    "kommunstyrelsen.";
inline constexpr char kBrommaBeslutsgang[] =
    "Ordföranden ställde förslagen mot varandra och konstaterade att nämnden ställde sig bakom "
    "förvaltningens förslag.";

inline Document BrommaAnswerDocument() {
  return Doc("411197", "(Godkänd - R 1) Remissvar Stockholms stads Trygghetsprogram 2020- 2023",
             "7215e5e2173da39a11faa078b9c99a4ed8ad7580a39dc29a56f62d4bcfb3fc97");
}
inline Document BrommaProgramDocument() {
  return Doc("409404", "Trygghetsprogram KS Bilaga 1",
             "f268b8c07c5194e1815f94974a90f687932771199c556d2f3aace03af58c1531");
}

inline Statement BrommaStatement() {
  Statement s;
  s.set_statement_date("2021-02-04");  // chosen: the extract gives no date
  s.set_addressed_to("Bromma stadsdelsnämnd");
  s.add_proposed_decision(kBrommaDecisionText);
  s.set_summary(kBrommaSummary);
  s.set_standpoint(STANDPOINT_POSITIVE);
  return s;
}

inline BoardDecision BrommaDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-02-18");  // chosen: the extract gives no date
  d.set_paragraph("§ 5");
  d.set_decision_text(kBrommaDecisionText);
  Proposal* administration = d.add_proposals();
  administration->set_id("forvaltningen");
  administration->set_proposed_by("förvaltningen");
  administration->set_text(kBrommaDecisionText);
  Proposal* s = d.add_proposals();
  s->set_id("s");
  s->set_proposed_by("Johan Heinonen m.fl. (S)");
  s->add_parties("S");
  s->set_text(kBrommaReservationS);
  d.set_winning_proposal("forvaltningen");
  d.set_beslutsgang(kBrommaBeslutsgang);
  Reservation* reservation = d.add_reservations();
  reservation->add_parties("S");
  reservation->add_members("Johan Heinonen");
  reservation->set_in_favour_of("s");
  reservation->set_text(kBrommaReservationS);
  SpecialStatement* majority = d.add_special_statements();
  for (const char* party : {"M", "L", "MP", "C"}) majority->add_parties(party);
  for (const char* member :
       {"Johan Paccamonti", "Hanna Wistrand", "Karl Persson", "Adrian Nordén"}) {
    majority->add_members(member);
  }
  majority->set_text(kBrommaStatementMLMPC);
  SpecialStatement* v = d.add_special_statements();
  v->add_parties("V");
  v->add_members("Lillemor Samuelsson");
  v->set_text(kBrommaStatementV);
  SpecialStatement* sd = d.add_special_statements();
  sd->add_parties("SD");
  sd->add_members("Ismo Pato");
  sd->set_text(kBrommaStatementSD);
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  *d.add_documents() = BrommaAnswerDocument();
  *d.add_documents() = BrommaProgramDocument();
  return d;
}

// ---- 001: Södermalms stadsdelsnämnd, tjänsteutlåtande dated 2021-02-25 ----

inline constexpr char kSodermalmDiaryNumber[] = "SÖ 2020/1006";  // chosen: the document gives none

inline CaseOfficer SodermalmOfficer() {
  CaseOfficer o;
  o.set_person_id("sodermalm-handlaggare-3");
  o.set_name("Christina Koistinen");
  o.set_phone("0850830198");
  return o;
}

inline Statement SodermalmStatement() {
  Statement s;
  s.set_statement_date("2021-02-25");
  s.set_addressed_to("Södermalms stadsdelsnämnd");
  s.add_proposed_decision(
      "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  s.add_proposed_decision("Beslutet justeras omedelbart.");
  s.set_summary(
      "Förvaltningen ställer sig positiv till Stockholms stads trygghetsprogram 2020-2023. Det "
      "är positivt att trygghetsfrågorna får ett eget program som sammanlänkas med stadens "
      "säkerhetsprogram. Trygghetsprogrammet lyfter på ett bra sätt fram att dess intention är "
      "att ge en gemensam struktur för arbetet.");
  s.set_background(
      "Kommunstyrelsen har remitterat ärendet Stockholms stads trygghetsprogram 2020-2023 till "
      "Södermalms stadsdelsnämnd för yttrande senast den 26 februari 2021.");
  s.set_preparation(
      "Ärendet har beretts inom stadsdelsdirektörens stab i samråd med sociala avdelningen och "
      "avdelningen för stadsmiljö. Ärendet har behandlats i förvaltningsgruppen och "
      "pensionärsrådet den 15 februari och i rådet för funktionshinderfrågor den 16 februari "
      "2021.");
  s.set_views(
      "Förvaltningen vill särskilt betona vikten av samverkan mellan stadens förvaltningar och "
      "bolag, men också med polis, region, fastighetsägare, företag och civilsamhälle.");
  s.set_standpoint(STANDPOINT_POSITIVE);
  s.set_administration_unit("Stadsdelsdirektörens stab och kansli");
  *s.add_documents() = Program2020();
  return s;
}

inline BoardDecision SodermalmDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-02-25");
  d.set_paragraph("§ 14");  // chosen: the statement gives none
  d.set_decision_text(
      "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  return d;
}

// ---- 003: Utbildningsnämnden, in the main positive, remarks on the structure ----

inline constexpr char kUtbildningDiaryNumber[] = "UTN 2020/1782";  // chosen: the document gives none

inline Remark MakeRemark(const char* topic, const char* text) {
  Remark r;
  r.set_topic(topic);
  r.set_text(text);
  return r;
}

inline constexpr char kUtnStructureRemark[] =
    "Programmets struktur är enligt förvaltningen svårtillgänglig. Avsaknaden av en röd tråd, "
    "struktur och tydlighet riskerar att skapa svårigheter i implementering.";
inline constexpr char kUtnReworkRemark[] =
    "Förvaltningen vill därför betona vikten av en omarbetning av programförslaget i syfte att "
    "skapa en mer strukturerad och tillgänglig text.";
inline constexpr char kUtnCoordinatorRemark[] =
    "Förvaltningen tycker det är viktigt att dessa båda samordnaruppdrag hanteras tillsammans "
    "för att minska risken för överlappande forum.";
inline constexpr char kUtnIndependentSchoolsRemark[] =
    "Programmet saknar skrivningar kring vad som gäller för dessa verksamheter, såväl avseende "
    "programmets sakinnehåll som frågor kring samverkan mellan exempelvis socialtjänsten och "
    "enskilda skolhuvudmän.";

inline Statement UtbildningStatement() {
  Statement s;
  s.set_statement_date("2021-02-08");  // chosen
  s.set_addressed_to("Utbildningsnämnden");
  s.add_proposed_decision(
      "Utbildningsnämnden godkänner förvaltningens tjänsteutlåtande och överlämnar det till "
      "kommunstyrelsen som svar på remissen.");
  s.add_proposed_decision("Beslutet justeras omedelbart.");
  s.set_summary(
      "Utbildningsförvaltningen ställer sig i huvudsak positiv till programförslagets sakliga "
      "innehåll, eftersom den gemensamma begreppsram som programmet omfattar ger en viktig grund "
      "för samverkan inom staden. Förvaltningen menar samtidigt att programmets struktur är "
      "svårtillgänglig.");
  s.set_preparation(
      "Ärendet har beretts inom avdelningen för ekonomi och styrning i samverkan med "
      "grundskoleavdelningen, gymnasieavdelningen och förskoleavdelningen.");
  s.set_standpoint(STANDPOINT_POSITIVE_WITH_REMARKS);
  *s.add_remarks() = MakeRemark("struktur", kUtnStructureRemark);
  *s.add_remarks() = MakeRemark("struktur", kUtnReworkRemark);
  *s.add_remarks() = MakeRemark("samordnare", kUtnCoordinatorRemark);
  *s.add_remarks() = MakeRemark("fristående förskolor och skolor", kUtnIndependentSchoolsRemark);
  return s;
}

inline BoardDecision UtbildningDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-02-11");  // chosen: after the råd of 10 February
  d.set_paragraph("§ 9");            // chosen
  d.set_decision_text(
      "Utbildningsnämnden godkänner förvaltningens tjänsteutlåtande och överlämnar det till "
      "kommunstyrelsen som svar på remissen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  return d;
}

// ---- 004: Hässelby-Vällingby stadsdelsnämnd, Dnr HV 2020/786, positive with a remark ----

inline constexpr char kHvRemark[] =
    "Förvaltningen noterar att trygghet inte bara avser oro och otrygghet för att utsättas för "
    "brott men att det föreslagna trygghetsprogrammet är skrivet helt utifrån det perspektivet.";

inline Statement HasselbyVallingbyStatement() {
  Statement s;
  s.set_statement_date("2021-02-04");  // chosen
  s.add_proposed_decision(
      "Hässelby-Vällingby stadsdelsnämnd godkänner förvaltningens tjänsteutlåtande som sitt svar "
      "på remissen från kommunstyrelsen.");
  s.add_proposed_decision(
      "Hässelby-Vällingby stadsdelsnämnd förklarar ärendet omedelbart justerat.");
  s.set_summary(
      "Förvaltningen ställer sig positiv till det föreslagna programmet som förtydligar "
      "arbetssätt och ansvarsområden. Förvaltningen anser dock att i ett trygghetsprogram bör det "
      "åtminstone omnämnas att det finns fler aspekter på trygghet än oro och otrygghet avseende "
      "brott.");
  s.set_preparation("Ärendet har beretts inom avdelningen för strategi och internservice.");
  s.set_standpoint(STANDPOINT_POSITIVE);
  *s.add_remarks() = MakeRemark("trygghetsbegreppet", kHvRemark);
  return s;
}

inline BoardDecision HasselbyVallingbyDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-02-18");  // chosen
  d.set_paragraph("§ 7");            // chosen
  d.set_decision_text(
      "Hässelby-Vällingby stadsdelsnämnd godkänner förvaltningens tjänsteutlåtande som sitt svar "
      "på remissen från kommunstyrelsen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  return d;
}

// ---- made up: Skärholmen asks for more time, socialnämnden answers late ----

inline Statement SkarholmenStatement() {
  Statement s;
  s.set_statement_date("2021-02-22");
  s.add_proposed_decision(
      "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  s.set_summary("Förvaltningen ställer sig positiv till förslaget till trygghetsprogram.");
  s.set_standpoint(STANDPOINT_POSITIVE);
  return s;
}

inline BoardDecision SkarholmenDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-03-11");
  d.set_paragraph("§ 6");
  d.set_decision_text(
      "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  return d;
}

inline constexpr char kSocStructureRemark[] =
    "Programmet bör tydligare ange vilken nämnd som ansvarar för vilka insatser.";
inline constexpr char kSocPreventionRemark[] =
    "Socialtjänstens förebyggande arbete med barn och unga bör beskrivas utförligare.";

inline Statement SocialStatement() {
  Statement s;
  s.set_statement_date("2021-03-01");
  s.add_proposed_decision("Förvaltningen överlämnar tjänsteutlåtandet som svar på remissen.");
  s.set_summary("Förvaltningen ställer sig i huvudsak positiv till förslaget.");
  s.set_standpoint(STANDPOINT_POSITIVE_WITH_REMARKS);
  *s.add_remarks() = MakeRemark("struktur", kSocStructureRemark);
  *s.add_remarks() = MakeRemark("sociala insatser", kSocPreventionRemark);
  return s;
}

inline DelegationDecision SocialDelegation() {
  DelegationDecision d;
  d.set_person_id("socialnamnden-direktor-1");
  d.set_decided_by_name("Socialdirektören");
  d.set_decided_by_title("Socialdirektör");
  d.set_date("2021-03-03");
  d.set_reference("Delegationsordning 1.4");
  d.set_decision_text("Svaret på remissen lämnas på delegation.");
  return d;
}

// ---- 002: Kyrkogårdsnämnden on the revision KS 2023/739 ----

inline constexpr char kKyrkogardDiaryNumber[] = "KYF 2023/1457";  // chosen: the document gives none

inline Statement KyrkogardStatement() {
  Statement s;
  s.set_statement_date("2023-11-21");
  s.add_proposed_decision(
      "Kyrkogårdsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  s.set_summary(
      "Förvaltningen ställer sig positiv till det reviderade trygghetsprogrammet. Staden har "
      "fortsatt stora utmaningar inom det brottsförebyggande och trygghetsskapande området.");
  s.set_background(
      "Kommunstyrelsen har remitterat ärendet Stockholms stads trygghetsprogram 2024-2027 till "
      "kyrkogårdsförvaltningen för yttrande senast den 20 december 2023.");
  s.set_preparation(
      "Ärendet har beretts i förvaltningschefens stab i samverkan med förvaltningens "
      "säkerhetssamordnare. Ärendet har behandlats i förvaltningsgruppen den 5 december 2023.");
  s.set_standpoint(STANDPOINT_POSITIVE);
  *s.add_documents() = Program2024();
  return s;
}

inline BoardDecision KyrkogardDecision() {
  BoardDecision d;
  d.set_meeting_date("2023-12-14");  // chosen
  d.set_paragraph("§ 10");           // chosen
  d.set_decision_text(
      "Kyrkogårdsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_ON_DATE);  // chosen: justerat the day after
  d.mutable_justering()->set_date("2023-12-15");
  return d;
}

// ---- made up: Bromma and utbildningsnämnden on the revision ----

inline Statement PositiveOnTheRevision(const char* summary) {
  Statement s;
  s.add_proposed_decision(
      "Nämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  s.set_summary(summary);
  s.set_standpoint(STANDPOINT_POSITIVE);
  return s;
}

// ---- KS's follow-up (made up, as DOMAIN.md describes it) ----

inline constexpr char kFeedbackToUtbildning[] =
    "Synpunkterna på programmets struktur har beaktats: programmet har delats in efter mål, "
    "ansvar och fokusområden.";
inline constexpr char kCoordinatorAction[] =
    "Utse en samordnare för det brottsförebyggande och trygghetsskapande arbetet.";

}  // namespace remiss::seed
