#include "words.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"

namespace remiss::console {
namespace {

std::string Lookup(const std::map<std::string, std::string>& words, const std::string& key) {
  auto it = words.find(key);
  return it == words.end() ? key : it->second;
}

// "STANDPOINT_POSITIVE_WITH_REMARKS" -> "positive with remarks"
std::string FromEnum(std::string v, const std::string& prefix) {
  if (absl::StartsWith(v, prefix)) v = v.substr(prefix.size());
  v = absl::AsciiStrToLower(v);
  return absl::StrReplaceAll(v, {{"_", " "}});
}

}  // namespace

std::string FieldLabel(const std::string& field) {
  static const std::map<std::string, std::string> words = {
      {"case_number", "Diarienummer"}, {"title", "Rubrik"}, {"summary", "Sammanfattning"},
      {"sender_org_id", "Avsändare"}, {"org_id", "Organisation"}, {"referral_id", "Remiss"},
      {"deadline", "Sista svarsdag"}, {"diary_number", "Diarienummer"},
      {"registered_on", "Registreringsdatum"}, {"statement", "Tjänsteutlåtande"},
      {"statement.standpoint", "Ställningstagande"}, {"statement.summary", "Sammanfattning"},
      {"statement.proposed_decision", "Förslag till beslut"},
      {"delegation", "Delegationsbeslut"}, {"delegation.date", "Beslutsdatum"},
      {"delegation.decided_by_name", "Beslutsfattare"},
      {"delegation.decided_by_title", "Titel"}, {"delegation.decision_text", "Beslutstext"},
      {"extension_id", "Anstånd"}, {"granted_date", "Beviljat datum"}, {"note", "Anteckning"},
      {"decided_by", "Beslutande organ"}, {"decision_date", "Beslutsdatum"},
      {"decision_reference", "Beslutsreferens"}, {"command_id", "Kommando-id"},
      {"distribution_list_ids", "Sändlistor"}, {"add_org_ids", "Fler remissinstanser"},
      {"remove_org_ids", "Utelämna trots sändlista"},
  };
  return Lookup(words, field);
}

std::string StageLabel(const std::string& stage) {
  static const std::map<std::string, std::string> words = {
      {"awaiting", "Ej registrerad"}, {"registered", "Registrerad"},
      {"in preparation", "Under beredning"},
      {"drafted", "Utkast till yttrande"}, {"attested", "Attesterad"}, {"decided", "Beslutad"},
      {"submitted", "Inskickat"}, {"declined", "Avstår"}, {"", "–"},
  };
  return Lookup(words, FromEnum(stage, "RESPONSE_STAGE_"));
}

std::string StandpointLabel(const std::string& standpoint) {
  static const std::map<std::string, std::string> words = {
      {"positive", "Positiv"}, {"positive with remarks", "I huvudsak positiv, med synpunkter"},
      {"negative", "Negativ"}, {"no opinion", "Inget ställningstagande"}, {"unspecified", "–"},
      {"", "–"},
  };
  return Lookup(words, FromEnum(standpoint, "STANDPOINT_"));
}

std::string StatusLabel(const std::string& status) {
  static const std::map<std::string, std::string> words = {
      {"draft", "Utkast"}, {"issued", "Utskickad"}, {"closed", "Stängd"},
      {"withdrawn", "Återkallad"}, {"unspecified", "–"}, {"", "–"},
  };
  return Lookup(words, FromEnum(status, "REFERRAL_STATUS_"));
}

std::string ExtensionLabel(const std::string& extension) {
  static const std::map<std::string, std::string> words = {
      {"requested", "Anstånd begärt"}, {"granted", "Anstånd beviljat"},
      {"refused", "Anstånd avslaget"}, {"", ""},
  };
  return Lookup(words, extension);
}

std::string OutcomeLabel(const std::string& outcome) {
  static const std::map<std::string, std::string> words = {
      {"open", "Öppen"}, {"met", "Besvarad i tid"}, {"met late", "Besvarad sent"},
      {"breached", "Försenad"}, {"breached then answered late", "Försenad, sedan besvarad"},
      {"declined", "Avstår"}, {"", "–"},
  };
  return Lookup(words, outcome);
}

std::string StatementKindLabel(const std::string& kind) {
  static const std::map<std::string, std::string> words = {
      {"reservation", "Reservation"}, {"special statement", "Särskilt uttalande"},
  };
  return Lookup(words, kind);
}

}  // namespace remiss::console
