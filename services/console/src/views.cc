#include "views.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "layout.h"
#include "mailto.h"
#include "words.h"

namespace remiss::console {
using nlohmann::json;

namespace {

std::string S(const json& v) { return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump(); }
std::string E(const json& v) { return Escape(S(v)); }

std::string Str(const json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) ? S(obj[key]) : "";
}

std::string NameOf(const json& orgs, const std::string& id) {
  return orgs.is_object() && orgs.contains(id) ? orgs[id].get<std::string>() : id;
}

std::string RoundLink(const std::string& id, const std::string& text, const std::string& suffix = "") {
  return absl::StrCat("<a href=\"/remisser/", UrlEncode(id), suffix, "\">", Escape(text), "</a>");
}

std::string OrgLink(const std::string& id, const std::string& name) {
  return absl::StrCat("<a href=\"/organisationer/", UrlEncode(id), "\">", Escape(name), "</a>");
}

std::string DaysLeft(const json& row) {
  if (row.value("answered", false)) return "–";
  if (Str(row, "effective_deadline").empty()) return "–";
  int d = row.value("days_left", 0);
  if (d == 0) return "sista dagen i dag";
  if (d > 0) return absl::StrCat(d, d == 1 ? " dag kvar" : " dagar kvar");
  return absl::StrCat(-d, -d == 1 ? " dag försenad" : " dagar försenad");
}

std::string FlagsHtml(const json& flags) {
  std::string out;
  if (flags.value("overdue", false)) absl::StrAppend(&out, R"(<span class="flag overdue">Försenad</span>)");
  if (flags.value("at_risk", false)) absl::StrAppend(&out, R"(<span class="flag risk">Risk att missa</span>)");
  std::string ext = flags.value("extension", "");
  if (!ext.empty()) absl::StrAppend(&out, R"(<span class="flag ext">)", Escape(ExtensionLabel(ext)), "</span>");
  if (flags.value("late", false)) absl::StrAppend(&out, R"(<span class="flag late">Inkom sent</span>)");
  return out.empty() ? "–" : out;
}

std::string Hidden(const ViewContext& c) {
  return absl::StrCat(CsrfField(c.csrf), R"(<input type="hidden" name="command_id" value=")",
                      Escape(c.command_id), R"(">)");
}

std::string Field(const std::string& id, const std::string& label, const std::string& type,
                  const std::string& value = "", const std::string& hint = "", bool required = false) {
  std::string hint_html, described;
  if (!hint.empty()) {
    hint_html = absl::StrCat(R"(<p class="hint" id=")", id, R"(-hint">)", Escape(hint), "</p>");
    described = absl::StrCat(R"( aria-describedby=")", id, R"(-hint")");
  }
  std::string req = required ? " required" : "";
  if (type == "textarea") {
    return absl::StrCat("<label for=\"", id, "\">", Escape(label), "</label>", hint_html,
                        "<textarea id=\"", id, "\" name=\"", id, "\"", described, req, ">",
                        Escape(value), "</textarea>");
  }
  return absl::StrCat("<label for=\"", id, "\">", Escape(label), "</label>", hint_html,
                      "<input type=\"", type, "\" id=\"", id, "\" name=\"", id, "\" value=\"",
                      Escape(value), "\"", described, req, ">");
}

std::string Select(const std::string& id, const std::string& label,
                   const std::vector<std::pair<std::string, std::string>>& options,
                   const std::string& selected) {
  std::string out = absl::StrCat("<label for=\"", id, "\">", Escape(label), "</label><select id=\"",
                                 id, "\" name=\"", id, "\">");
  for (const auto& [value, text] : options) {
    absl::StrAppend(&out, "<option value=\"", Escape(value), "\"", value == selected ? " selected" : "",
                    ">", Escape(text), "</option>");
  }
  absl::StrAppend(&out, "</select>");
  return out;
}

std::string StageCounts(const json& by_stage) {
  std::vector<std::string> parts;
  for (const auto& [stage, n] : by_stage.items()) {
    parts.push_back(absl::StrCat(Escape(StageLabel(stage)), ": ", n.get<int>()));
  }
  return parts.empty() ? "–" : absl::StrJoin(parts, "<br>");
}

std::string Paragraphs(const std::string& text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    absl::StrAppend(&out, "<p>", Escape(std::string(line)), "</p>");
  }
  return out;
}

}  // namespace

std::string RoundsView(const json& m, const ViewContext& c) {
  const json& f = m["filter"];
  std::vector<std::pair<std::string, std::string>> statuses = {
      {"", "Alla"}, {"draft", "Utkast"}, {"issued", "Utskickad"}, {"closed", "Stängd"}, {"withdrawn", "Återkallad"}};
  std::vector<std::pair<std::string, std::string>> senders = {{"", "Alla"}};
  for (const auto& [id, name] : m["organizations"].items()) senders.push_back({id, name.get<std::string>()});
  const int year = f.value("year", 0);
  std::string out = absl::StrCat(
      "<h1>Remisser</h1>",
      R"(<form method="get" action="/remisser" class="filter"><fieldset><legend>Filtrera</legend>)",
      Select("status", "Status", statuses, f.value("status", "")),
      Field("ar", "År", "text", year ? std::to_string(year) : "", "Diarienumrets år, t.ex. 2019"),
      Select("avsandare", "Avsändare", senders, f.value("sender", "")),
      R"(<button type="submit">Visa</button></fieldset></form>)");
  const json& rounds = m["rounds"];
  absl::StrAppend(&out, "<table><caption>", rounds.size(), rounds.size() == 1 ? " remiss" : " remisser",
                  "</caption><thead><tr><th scope=\"col\">Diarienummer</th><th scope=\"col\">Rubrik</th>"
                  "<th scope=\"col\">Avsändare</th><th scope=\"col\">Status</th><th scope=\"col\">Sista svarsdag</th>"
                  "<th scope=\"col\" class=\"num\">Remissinstanser</th><th scope=\"col\" class=\"num\">Inkomna svar</th>"
                  "<th scope=\"col\" class=\"num\">Ej inkommit</th><th scope=\"col\">Per steg</th></tr></thead><tbody>");
  for (const json& r : rounds) {
    absl::StrAppend(&out, "<tr><th scope=\"row\">", RoundLink(Str(r, "referral_id"), Str(r, "case_number")),
                    "</th><td>", E(r["title"]), "</td><td>", Escape(NameOf(m["organizations"], Str(r, "sender_org_id"))),
                    "</td><td>", Escape(StatusLabel(Str(r, "status"))), "</td><td>",
                    Str(r, "deadline").empty() ? "–" : E(r["deadline"]), "</td><td class=\"num\">",
                    r["addressees"].get<int>(), "</td><td class=\"num\">", r["answered"].get<int>(),
                    "</td><td class=\"num\">", r["not_answered"].get<int>(), "</td><td>",
                    StageCounts(r["by_stage"]), "</td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table>");
  if (m.value("truncated", false)) absl::StrAppend(&out, "<p>Listan visar de 500 första; filtrera för att se fler.</p>");
  if (rounds.empty()) absl::StrAppend(&out, "<p>Inga remisser matchar filtret.</p>");
  return out;
}

// "Utskick": what the notices service mailed to registries, per body, and what failed. Rows
// that need someone (refused, waiting) first. `m` null: no mail is sent (no mail server).
std::string NoticeKindLabel(const std::string& kind) {
  if (kind == "NOTICE_KIND_ROUND") return "Remissen";
  if (kind == "NOTICE_KIND_REMINDER") return "Påminnelse";
  if (kind == "NOTICE_KIND_OVERDUE") return "Försenat svar";
  if (kind == "NOTICE_KIND_OVERDUE_SUMMARY") return "Ej inkomna svar (till KS)";
  if (kind == "NOTICE_KIND_RECEIPT") return "Kvittens";
  if (kind == "NOTICE_KIND_CHANGE") return "Ändrad svarsdag";
  return kind;
}

std::string NoticeStateLabel(const json& n) {
  const std::string state = Str(n, "state");
  if (state == "NOTICE_STATE_DELIVERED") return "Skickat";
  if (state == "NOTICE_STATE_QUEUED") return "Väntar på att skickas";
  if (state == "NOTICE_STATE_DEFERRED") {
    return absl::StrCat("Försenat, nytt försök ", Str(n, "next_try_at").substr(0, 16));
  }
  if (state == "NOTICE_STATE_PARKED") return "Avvisat av e-postservern";
  if (state == "NOTICE_STATE_SKIPPED") return "Skickas inte (hoppades över)";
  return state;
}

std::string NoticesHtml(const json& notices, const json& orgs, bool by_round) {
  std::string out = "<h2 id=\"utskick\">Utskick till registratorerna</h2>";
  if (notices.is_null()) return out + "<p>Ingen e-post skickas: ingen e-postserver är inställd.</p>";
  if (notices.empty()) return out + "<p>Inget har skickats ännu.</p>";
  std::vector<const json*> rows;
  for (const json& n : notices) rows.push_back(&n);
  auto needs_someone = [](const json* n) {
    const std::string state = Str(*n, "state");
    return state == "NOTICE_STATE_PARKED" || state == "NOTICE_STATE_DEFERRED" || state == "NOTICE_STATE_QUEUED";
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const json* a, const json* b) { return needs_someone(a) > needs_someone(b); });
  absl::StrAppend(&out, "<table><caption>Vad som skickats, när, och vad som misslyckats</caption><thead><tr>"
                  "<th scope=\"col\">", by_round ? "Remissinstans" : "Remiss", "</th><th scope=\"col\">Vad</th>"
                  "<th scope=\"col\">Till</th><th scope=\"col\">Status</th><th scope=\"col\">Skickat (UTC)</th>"
                  "<th scope=\"col\">Försök</th><th scope=\"col\">Serverns svar</th></tr></thead><tbody>");
  for (const json* n : rows) {
    const std::string who = by_round ? OrgLink(Str(*n, "org_id"), NameOf(orgs, Str(*n, "org_id")))
                                     : RoundLink(Str(*n, "referral_id"), Str(*n, "case_number"));
    const std::string sent = Str(*n, "delivered_at");
    absl::StrAppend(&out, "<tr><th scope=\"row\">", who, "</th><td>", Escape(NoticeKindLabel(Str(*n, "kind"))), "</td><td>",
                    E((*n)["recipient"]), "</td><td>", Escape(NoticeStateLabel(*n)), "</td><td>",
                    sent.empty() ? "–" : Escape(absl::StrCat(sent.substr(0, 10), " ", sent.substr(11, 5))), "</td><td class=\"num\">",
                    S((*n)["attempts"]), "</td><td>", Str(*n, "last_reply").empty() ? "–" : E((*n)["last_reply"]),
                    "</td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table>");
  return out;
}

std::string BoardView(const json& m, const ViewContext& c) {
  const json& r = m["referral"];
  const json& orgs = m["organizations"];
  const std::string id = Str(r, "referral_id");
  const std::string status = Str(r, "status");
  std::string out = absl::StrCat(
      "<h1>", E(r["case_number"]), " ", E(r["title"]), "</h1>",
      "<table><caption>Remissen</caption><tbody>",
      "<tr><th scope=\"row\">Status</th><td>", Escape(StatusLabel(status)), "</td></tr>",
      "<tr><th scope=\"row\">Avsändare</th><td>", OrgLink(Str(r, "sender_org_id"), NameOf(orgs, Str(r, "sender_org_id"))), "</td></tr>",
      "<tr><th scope=\"row\">Sista svarsdag</th><td>", Str(r, "deadline").empty() ? "ej satt" : E(r["deadline"]),
      r.value("working_day_rule", false) ? " (flyttas till närmaste arbetsdag)" : "", "</td></tr>");
  if (!Str(r, "revises_referral_id").empty()) {
    absl::StrAppend(&out, "<tr><th scope=\"row\">Reviderar</th><td>", RoundLink(Str(r, "revises_referral_id"), Str(r, "revises_referral_id")), "</td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table>",
                  "<p class=\"actions\">", RoundLink(id, "Remissammanställning", "/sammanstallning"),
                  RoundLink(id, "Revisionskedja", "/kedja"), "</p>");

  if (status == "REFERRAL_STATUS_DRAFT") {
    absl::StrAppend(&out, "<h2>Remissinstanser</h2><ul>");
    for (const json& a : r["addressees"]) {
      absl::StrAppend(&out, "<li>", OrgLink(Str(a, "org_id"), NameOf(orgs, Str(a, "org_id"))), "</li>");
    }
    absl::StrAppend(&out, "</ul>");
    if (r["addressees"].empty()) absl::StrAppend(&out, "<p>Inga remissinstanser ännu.</p>");
    if (c.person.ks()) {
      absl::StrAppend(&out, "<h2>Skicka ut</h2><form method=\"post\" action=\"/remisser/", UrlEncode(id),
                      "/utfarda\">", Hidden(c),
                      "<p>Remissen skickas till remissinstanserna ovan med sista svarsdag ",
                      Str(r, "deadline").empty() ? "(ej satt)" : E(r["deadline"]),
                      ".</p><button type=\"submit\">Skicka ut remissen</button></form>");
    }
    return out;
  }
  if (m["board"].is_null()) {
    absl::StrAppend(&out, "<p>Statustavlan är inte klar ännu; ladda om sidan om en stund.</p>");
    return out;
  }
  const json& t = m["totals"];
  absl::StrAppend(&out, "<h2>Totalt</h2><table><caption>Läget ", E(m["board"]["today"]),
                  "</caption><thead><tr><th scope=\"col\">Remissinstanser</th><th scope=\"col\">Har svarat</th>"
                  "<th scope=\"col\">Ej inkommit</th><th scope=\"col\">Försenade</th><th scope=\"col\">Risk att missa</th>"
                  "<th scope=\"col\">Anstånd</th><th scope=\"col\">Inkom sent</th></tr></thead><tbody><tr>",
                  "<td class=\"num\">", t["bodies"].get<int>(), "</td><td class=\"num\">", t["answered"].get<int>(),
                  "</td><td class=\"num\">", t["not_answered"].get<int>(), "</td><td class=\"num\">", t["overdue"].get<int>(),
                  "</td><td class=\"num\">", t["at_risk"].get<int>(), "</td><td class=\"num\">", t["extensions"].get<int>(),
                  "</td><td class=\"num\">", t["late"].get<int>(), "</td></tr></tbody></table>");

  absl::StrAppend(&out, "<h2>Remissinstanserna</h2><table class=\"board\"><caption>En rad per remissinstans</caption><thead><tr>"
                  "<th scope=\"col\">Remissinstans</th><th scope=\"col\">Steg</th><th scope=\"col\">Diarienummer</th>"
                  "<th scope=\"col\">Sista svarsdag</th><th scope=\"col\">Dagar kvar</th><th scope=\"col\">Ställningstagande</th>"
                  "<th scope=\"col\">Flaggor</th></tr></thead><tbody>");
  for (const json& row : m["rows"]) {
    std::string deadline = Str(row, "effective_deadline");
    if (!Str(row, "stated_deadline").empty() && Str(row, "stated_deadline") != deadline) {
      deadline = absl::StrCat(deadline, " (angiven ", Str(row, "stated_deadline"), ")");
    }
    std::string org_cell = OrgLink(Str(row, "org_id"), Str(row, "org_name"));
    if (c.person.registrar_of(Str(row, "org_id"))) {
      absl::StrAppend(&org_cell, "<br><a href=\"/remisser/", UrlEncode(id), "/svar/", UrlEncode(Str(row, "org_id")),
                      "\">Arbeta med ert svar</a>");
    }
    absl::StrAppend(&out, "<tr><th scope=\"row\">", org_cell, "</th><td>", Escape(StageLabel(Str(row, "stage"))),
                    "</td><td>", Str(row, "diary_number").empty() ? "–" : E(row["diary_number"]), "</td><td>",
                    Escape(deadline.empty() ? "–" : deadline), "</td><td>", Escape(DaysLeft(row)), "</td><td>",
                    Escape(StandpointLabel(Str(row, "standpoint"))), "</td><td>", FlagsHtml(row["flags"]), "</td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table>");

  absl::StrAppend(&out, "<h2 id=\"ej-inkommit\">Ej inkommit</h2>");
  if (m["not_answered"].empty()) {
    absl::StrAppend(&out, "<p>Alla remissinstanser har svarat.</p>");
  } else {
    absl::StrAppend(&out, "<p>Remissinstanser som varken har skickat in svar eller avstått, med registratorns adress för påminnelse.</p>"
                    "<table><caption>Ej inkommit</caption><thead><tr><th scope=\"col\">Remissinstans</th>"
                    "<th scope=\"col\">Registrator</th><th scope=\"col\">Sista svarsdag</th><th scope=\"col\">Dagar kvar</th>"
                    "</tr></thead><tbody>");
    for (const json& n : m["not_answered"]) {
      std::string mailbox = Str(n, "registry_mailbox");
      std::string mail = mailbox.empty() ? "adress saknas"
                                         : MailboxHtml(mailbox, absl::StrCat("Påminnelse: remiss ", Str(r, "case_number")));
      json row = {{"answered", false}, {"days_left", n["days_left"]}, {"effective_deadline", n["effective_deadline"]}};
      absl::StrAppend(&out, "<tr><th scope=\"row\">", OrgLink(Str(n, "org_id"), Str(n, "org_name")), "</th><td>", mail,
                      "</td><td>", Str(n, "effective_deadline").empty() ? "–" : E(n["effective_deadline"]), "</td><td>",
                      Escape(DaysLeft(row)), "</td></tr>");
    }
    absl::StrAppend(&out, "</tbody></table>");
  }
  absl::StrAppend(&out, NoticesHtml(m.value("notices", json()), orgs, true));

  if (!c.person.ks()) return out;
  if (!m["extension_requests"].empty()) {
    absl::StrAppend(&out, "<h2>Begärda anstånd</h2>");
    int i = 0;
    for (const json& e : m["extension_requests"]) {
      ++i;
      std::string f = absl::StrCat("anstand-", i);
      absl::StrAppend(&out, "<form method=\"post\" action=\"/remisser/", UrlEncode(id), "/anstand\"><fieldset><legend>",
                      E(e["org_name"]), " begär anstånd till ", E(e["requested_date"]), "</legend>", Hidden(c),
                      "<input type=\"hidden\" name=\"org_id\" value=\"", E(e["org_id"]), "\">",
                      "<input type=\"hidden\" name=\"extension_id\" value=\"", E(e["extension_id"]), "\">",
                      "<p>Skäl: ", E(e["reason"]), "</p>",
                      Field(f + "-datum", "Beviljat datum", "date", Str(e, "requested_date"), "Tomt: det begärda datumet"),
                      Field(f + "-anteckning", "Anteckning (krävs vid avslag)", "textarea"),
                      "<button type=\"submit\" name=\"beslut\" value=\"bevilja\">Bevilja</button> "
                      "<button type=\"submit\" name=\"beslut\" value=\"avsla\">Avslå</button></fieldset></form>");
    }
  }
  const json& outcome = m["board"]["outcome"];
  if (outcome.is_object() && !Str(outcome, "decided_by").empty()) {
    absl::StrAppend(&out, "<h2>Utfall</h2><p>", E(outcome["summary"]), " (", E(outcome["decided_by"]), ", ",
                    E(outcome["decision_date"]), Str(outcome, "decision_reference").empty() ? "" : ", ",
                    E(outcome["decision_reference"]), ")</p>");
  } else {
    absl::StrAppend(&out, "<h2>Registrera utfall</h2><form method=\"post\" action=\"/remisser/", UrlEncode(id),
                    "/utfall\">", Hidden(c),
                    Field("decided_by", "Beslutande organ", "text", "kommunfullmäktige", "", true),
                    Field("decision_date", "Beslutsdatum", "date", "", "", true),
                    Field("decision_reference", "Beslutsreferens", "text", "", "T.ex. KF 2021-06-14 § 7"),
                    Field("summary", "Utfall", "textarea", "", "T.ex. Programmet antogs"),
                    "<button type=\"submit\">Registrera utfallet</button></form>");
  }
  return out;
}

std::string OrganizationView(const json& m, const ViewContext& c) {
  const json& org = m["organization"];
  const std::string org_id = Str(org, "org_id");
  std::string out = absl::StrCat("<h1>", E(org["name"]), "</h1>");
  if (!Str(org, "registry_mailbox").empty()) {
    absl::StrAppend(&out, "<p>Registrator: ", MailboxHtml(Str(org, "registry_mailbox")), "</p>");
  }
  absl::StrAppend(&out, "<h2>Att besvara</h2>");
  if (m["owes"].empty()) {
    absl::StrAppend(&out, "<p>Inga obesvarade remisser.</p>");
  } else {
    absl::StrAppend(&out, "<table><caption>Obesvarade remisser, närmaste sista svarsdag först</caption><thead><tr>"
                    "<th scope=\"col\">Remiss</th><th scope=\"col\">Rubrik</th><th scope=\"col\">Steg</th>"
                    "<th scope=\"col\">Sista svarsdag</th><th scope=\"col\">Dagar kvar</th><th scope=\"col\">Flaggor</th>"
                    "</tr></thead><tbody>");
    for (const json& item : m["owes"]) {
      const json& row = item["row"];
      std::string cell = RoundLink(Str(item, "referral_id"), Str(item, "case_number"));
      if (c.person.registrar_of(org_id)) {
        absl::StrAppend(&cell, "<br><a href=\"/remisser/", UrlEncode(Str(item, "referral_id")), "/svar/",
                        UrlEncode(org_id), "\">Arbeta med svaret</a>");
      }
      absl::StrAppend(&out, "<tr><th scope=\"row\">", cell, "</th><td>", E(item["title"]), "</td><td>",
                      Escape(StageLabel(Str(row, "stage"))), "</td><td>",
                      Str(row, "effective_deadline").empty() ? "–" : E(row["effective_deadline"]), "</td><td>",
                      Escape(DaysLeft(row)), "</td><td>", FlagsHtml(row["flags"]), "</td></tr>");
    }
    absl::StrAppend(&out, "</tbody></table>");
  }
  absl::StrAppend(&out, "<h2>Besvarade</h2>");
  if (m["answered"].empty()) {
    absl::StrAppend(&out, "<p>Inga besvarade remisser ännu.</p>");
  } else {
    absl::StrAppend(&out, "<table><caption>Besvarade remisser</caption><thead><tr><th scope=\"col\">Remiss</th>"
                    "<th scope=\"col\">Rubrik</th><th scope=\"col\">Ställningstagande</th><th scope=\"col\">Inskickat</th>"
                    "<th scope=\"col\">Utfall</th><th scope=\"col\">Flaggor</th></tr></thead><tbody>");
    for (const json& item : m["answered"]) {
      const json& row = item["row"];
      std::string submitted = Str(row, "submitted_at").substr(0, 10);
      absl::StrAppend(&out, "<tr><th scope=\"row\">", RoundLink(Str(item, "referral_id"), Str(item, "case_number")),
                      "</th><td>", E(item["title"]), "</td><td>", Escape(StandpointLabel(Str(row, "standpoint"))),
                      "</td><td>", submitted.empty() ? "–" : Escape(submitted), "</td><td>",
                      Escape(OutcomeLabel(Str(row, "deadline_outcome"))), "</td><td>", FlagsHtml(row["flags"]),
                      "</td></tr>");
    }
    absl::StrAppend(&out, "</tbody></table>");
  }
  absl::StrAppend(&out, NoticesHtml(m.value("notices", json()), json::object(), false));
  return out;
}

std::string ChainView(const json& m, const ViewContext& c) {
  const json& orgs = m["organizations"];
  std::string out = "<h1>Revisionskedja</h1>";
  const json& rounds = m["rounds"];
  if (rounds.empty()) return out + "<p>Ingen revisionskedja.</p>";
  absl::StrAppend(&out, "<p>Remissinstansernas ställningstaganden sida vid sida, äldsta remissen först.</p>"
                  "<table><caption>Ställningstaganden per remiss</caption><thead><tr><th scope=\"col\">Remissinstans</th>");
  for (const json& r : rounds) {
    absl::StrAppend(&out, "<th scope=\"col\">", RoundLink(Str(r, "referral_id"), Str(r, "case_number")), "<br>",
                    E(r["title"]), "</th>");
  }
  absl::StrAppend(&out, "</tr></thead><tbody>");
  for (const json& org : m["org_ids"]) {
    const std::string id = S(org);
    absl::StrAppend(&out, "<tr><th scope=\"row\">", OrgLink(id, NameOf(orgs, id)), "</th>");
    for (const json& r : rounds) {
      const json& sp = r["standpoints"];
      std::string cell = !sp.contains(id) ? "ej tillfrågad" : S(sp[id]).empty() ? "inget svar" : StandpointLabel(S(sp[id]));
      absl::StrAppend(&out, "<td>", Escape(cell), "</td>");
    }
    absl::StrAppend(&out, "</tr>");
  }
  absl::StrAppend(&out, "</tbody></table>");
  return out;
}

// Party -> its reservations and statements: through the references (party_statements, each
// once, and party_statement_refs), or in a compilation frozen before they existed the copies
// of statements_by_party.
std::map<std::string, std::vector<json>> StatementsByParty(const json& comp) {
  std::map<std::string, std::vector<json>> out;
  const json& all = comp.contains("party_statements") ? comp["party_statements"] : json::array();
  if (comp.contains("party_statement_refs")) {
    for (const auto& [party, refs] : comp["party_statement_refs"].items()) {
      if (!refs.contains("indexes")) continue;
      for (const json& i : refs["indexes"]) {
        if (i.is_number_integer() && i.get<int64_t>() >= 0 && static_cast<size_t>(i.get<int64_t>()) < all.size()) {
          out[party].push_back(all[i.get<size_t>()]);
        }
      }
    }
  } else if (comp.contains("statements_by_party")) {
    for (const auto& [party, list] : comp["statements_by_party"].items()) {
      if (list.contains("statements")) out[party] = list["statements"].get<std::vector<json>>();
    }
  }
  return out;
}

std::string CompilationView(const json& m, const ViewContext& c) {
  const json& comp = m["live"];
  const json& orgs = m["organizations"];
  const std::string id = Str(comp, "referral_id");
  std::string out = absl::StrCat(
      "<article class=\"document\"><h1>Remissammanställning: ", E(comp["title"]), "</h1>",
      "<p>Diarienummer ", E(comp["case_number"]), ". Sammanställningen visar svaren som de står nu.</p>",
      "<p class=\"actions\"><a href=\"/remisser/", UrlEncode(id), "/sammanstallning.pdf\">Ladda ned som PDF</a>",
      "<a href=\"/remisser/", UrlEncode(id), "\">Till statustavlan</a></p>",
      "<p class=\"hint noprint\">Skriv ut med webbläsarens utskrift: sidan skrivs ut som ett A4-dokument.</p>");
  absl::StrAppend(&out, "<h2>Ställningstaganden</h2><table><caption>Antal svar per ställningstagande</caption><thead><tr>"
                  "<th scope=\"col\">Ställningstagande</th><th scope=\"col\" class=\"num\">Antal</th></tr></thead><tbody>");
  for (const auto& [sp, n] : comp["standpoints"].items()) {
    absl::StrAppend(&out, "<tr><th scope=\"row\">", Escape(StandpointLabel(sp)), "</th><td class=\"num\">", n.get<int>(), "</td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table>");
  if (!comp["not_answered"].empty()) {
    absl::StrAppend(&out, "<p>Ej inkommit: ");
    std::vector<std::string> names;
    for (const json& o : comp["not_answered"]) names.push_back(Escape(NameOf(orgs, S(o))));
    absl::StrAppend(&out, absl::StrJoin(names, ", "), ".</p>");
  }
  absl::StrAppend(&out, "<h2>Remissinstansernas svar</h2>");
  for (const json& a : comp["answers"]) {
    absl::StrAppend(&out, "<section class=\"answer\"><h3>", E(a["org_name"]), "</h3><p><strong>Ställningstagande:</strong> ",
                    Escape(StandpointLabel(Str(a, "standpoint"))), ". <strong>Beslut:</strong> ",
                    Str(a, "decided_by").empty() ? "–" : E(a["decided_by"]), "</p>");
    if (!Str(a, "summary").empty()) absl::StrAppend(&out, "<blockquote>", E(a["summary"]), "</blockquote>");
    absl::StrAppend(&out, "</section>");
  }
  if (!comp["remarks_by_topic"].empty()) {
    absl::StrAppend(&out, "<h2>Synpunkter per ämne</h2>");
    for (const json& t : comp["remarks_by_topic"]) {
      absl::StrAppend(&out, "<h3>", E(t["topic"]), "</h3><ul>");
      for (const json& rm : t["remarks"]) {
        absl::StrAppend(&out, "<li><strong>", Escape(NameOf(orgs, Str(rm, "org_id"))), ":</strong> ", E(rm["text"]), "</li>");
      }
      absl::StrAppend(&out, "</ul>");
    }
  }
  const auto by_party = StatementsByParty(comp);
  if (!by_party.empty()) {
    absl::StrAppend(&out, "<h2>Reservationer och särskilda uttalanden per parti</h2>");
    for (const auto& [party, list] : by_party) {
      absl::StrAppend(&out, "<h3>", Escape(party), "</h3>");
      for (const json& st : list) {
        std::vector<std::string> parties;
        for (const json& p : st["parties"]) parties.push_back(S(p));
        absl::StrAppend(&out, "<section class=\"answer\"><p><strong>", Escape(StatementKindLabel(Str(st, "kind"))),
                        "</strong>, ", Escape(NameOf(orgs, Str(st, "org_id"))), " (", Escape(absl::StrJoin(parties, ", ")),
                        ")</p><blockquote>", E(st["text"]), "</blockquote></section>");
      }
    }
  }
  if (!m["frozen"].empty()) {
    absl::StrAppend(&out, "<h2>Fastställda versioner</h2><ul>");
    for (const json& f : m["frozen"]) {
      absl::StrAppend(&out, "<li>Version ", S(f["version"]), Str(f, "note").empty() ? "" : ": ", E(f["note"]), "</li>");
    }
    absl::StrAppend(&out, "</ul>");
  }
  absl::StrAppend(&out, "</article>");
  return out;
}

std::string AnswerView(const json& m, const ViewContext& c) {
  const json& resp = m["response"];
  const json& org = m["organization"];
  const std::string rid = Str(resp, "referral_id");
  const std::string org_id = Str(resp, "org_id");
  const std::string stage = Str(m, "stage");
  std::string out = absl::StrCat("<h1>Svar på ", E(resp["case_number"]), " – ", E(org["name"]), "</h1>",
                                 "<p>", E(resp["title"]), "</p><table><caption>Läget</caption><tbody>",
                                 "<tr><th scope=\"row\">Steg</th><td>", Escape(StageLabel(stage)), "</td></tr>");
  if (m["deadline"].is_object()) {
    json row = {{"answered", stage == "submitted" || stage == "declined"},
                {"days_left", m["deadline"].value("days_left", 0)},
                {"effective_deadline", Str(m["deadline"], "effective_date")}};
    absl::StrAppend(&out, "<tr><th scope=\"row\">Sista svarsdag</th><td>", E(m["deadline"]["effective_date"]),
                    "</td></tr><tr><th scope=\"row\">Dagar kvar</th><td>", Escape(DaysLeft(row)), "</td></tr>");
  }
  if (!Str(resp, "diary_number").empty()) {
    absl::StrAppend(&out, "<tr><th scope=\"row\">Diarienummer</th><td>", E(resp["diary_number"]), " (registrerad ",
                    E(resp["registered_on"]), ")</td></tr>");
  }
  const json& st = resp["statement"];
  if (st.is_object() && Str(st, "standpoint") != "STANDPOINT_UNSPECIFIED") {
    absl::StrAppend(&out, "<tr><th scope=\"row\">Ställningstagande</th><td>", Escape(StandpointLabel(Str(st, "standpoint"))),
                    "</td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table>");
  if (st.is_object() && !Str(st, "summary").empty()) absl::StrAppend(&out, "<h2>Sammanfattning</h2>", Paragraphs(Str(st, "summary")));

  if (!c.person.registrar_of(org_id)) return out;
  const std::string base = absl::StrCat("/remisser/", UrlEncode(rid), "/svar/", UrlEncode(org_id));
  if (stage == "awaiting") {
    absl::StrAppend(&out, "<h2>Registrera i diariet</h2><form method=\"post\" action=\"", base, "/registrera\">", Hidden(c),
                    Field("diary_number", "Diarienummer", "text", "", absl::StrCat("Ert eget, t.ex. ", Str(org, "diary_prefix"), " 2021/123"), true),
                    Field("registered_on", "Registreringsdatum", "date", "", "", true),
                    "<button type=\"submit\">Registrera</button></form>");
  } else if (stage != "submitted" && stage != "declined") {
    if (stage != "decided") {
      absl::StrAppend(&out, "<h2>Tjänsteutlåtande</h2><form method=\"post\" action=\"", base, "/utlatande\">", Hidden(c),
                      Select("standpoint", "Ställningstagande",
                             {{"STANDPOINT_POSITIVE", "Positiv"},
                              {"STANDPOINT_POSITIVE_WITH_REMARKS", "I huvudsak positiv, med synpunkter"},
                              {"STANDPOINT_NEGATIVE", "Negativ"},
                              {"STANDPOINT_NO_OPINION", "Inget ställningstagande"}},
                             st.is_object() ? Str(st, "standpoint") : ""),
                      Field("statement_date", "Datum", "date", st.is_object() ? Str(st, "statement_date") : ""),
                      Field("proposed_decision", "Förslag till beslut", "textarea", "", "En punkt per rad"),
                      Field("summary", "Sammanfattning", "textarea", st.is_object() ? Str(st, "summary") : "", "", true),
                      "<button type=\"submit\">Spara tjänsteutlåtandet</button></form>");
      absl::StrAppend(&out, "<h2>Beslut</h2><form method=\"post\" action=\"", base, "/delegationsbeslut\"><fieldset><legend>Delegationsbeslut</legend>",
                      Hidden(c), Field("decided_by_name", "Beslutsfattare", "text", "", "", true),
                      Field("decided_by_title", "Titel", "text", "", "T.ex. Stadsdelsdirektör", true),
                      Field("date", "Beslutsdatum", "date", "", "", true),
                      Field("decision_text", "Beslut", "textarea", "", "", true),
                      "<button type=\"submit\">Registrera delegationsbeslutet</button></fieldset></form>");
      absl::StrAppend(&out, "<form method=\"post\" action=\"", base, "/namndbeslut\"><fieldset><legend>Nämndens beslut</legend>",
                      Hidden(c), Field("meeting_date", "Sammanträdesdatum", "date", "", "", true),
                      Field("paragraph", "Paragraf", "text", "", "T.ex. § 5", true),
                      Field("board_decision_text", "Beslut", "textarea", "", "", true),
                      Select("justering", "Justering", {{"JUSTERING_KIND_IMMEDIATE", "Justeras omedelbart"},
                                                        {"JUSTERING_KIND_ON_DATE", "Justeras senare"}}, ""),
                      Field("justering_date", "Justeringsdatum", "date", "", "Bara om protokollet justeras senare"),
                      "<button type=\"submit\">Registrera nämndens beslut</button></fieldset></form>");
    }
    absl::StrAppend(&out, "<h2>Anstånd</h2><form method=\"post\" action=\"", base, "/anstand\">", Hidden(c),
                    Field("requested_date", "Nytt datum", "date", "", "Den dag ni kan svara", true),
                    Field("reason", "Skäl", "textarea", "", "", true),
                    "<button type=\"submit\">Begär anstånd</button></form>");
    absl::StrAppend(&out, "<h2>Skicka in</h2><form method=\"post\" action=\"", base, "/skicka\">", Hidden(c),
                    Field("note", "Följebrev (frivilligt)", "textarea"),
                    "<button type=\"submit\">Skicka in svaret till avsändaren</button></form>");
  }
  return out;
}

std::string NewRoundView(const json& model, const json& form, const ViewContext& c) {
  const json& orgs = model["organizations"];
  auto v = [&form](const char* k) { return form.is_object() && form.contains(k) ? S(form[k]) : ""; };
  auto chosen = [&form](const char* k, const std::string& id) {
    if (!form.is_object() || !form.contains(k)) return false;
    for (const json& a : form[k]) {
      if (S(a) == id) return true;
    }
    return false;
  };
  auto checkbox = [](const std::string& name, const std::string& id, const std::string& value,
                     const std::string& label, bool on) {
    return absl::StrCat("<p><input type=\"checkbox\" id=\"", Escape(id), "\" name=\"", name, "\" value=\"",
                        Escape(value), "\"", on ? " checked" : "", "><label class=\"choice\" for=\"", Escape(id),
                        "\">", label, "</label></p>");
  };
  std::vector<std::pair<std::string, std::string>> senders;
  for (const auto& [id, name] : orgs.items()) senders.push_back({id, name.get<std::string>()});
  std::string sender = v("sender_org_id").empty() ? c.person.org_id : v("sender_org_id");
  std::string out = absl::StrCat(
      "<h1>Ny remiss</h1><form method=\"post\" action=\"/ny-remiss\">", Hidden(c),
      Field("case_number", "Diarienummer", "text", v("case_number"), "Som i ert diarium, t.ex. KS 2026/1939", true),
      Field("title", "Rubrik", "text", v("title"), "", true),
      Field("summary", "Sammanfattning", "textarea", v("summary")),
      Select("sender_org_id", "Avsändare", senders, sender),
      Field("deadline", "Sista svarsdag", "date", v("deadline"), "", true),
      "<p><input type=\"checkbox\" id=\"working_day_rule\" name=\"working_day_rule\" value=\"1\" checked>"
      "<label class=\"choice\" for=\"working_day_rule\">Flytta till närmaste arbetsdag om dagen är helgdag</label></p>");
  if (!model["lists"].empty()) {
    absl::StrAppend(&out, "<fieldset><legend>Sändlistor</legend>");
    for (const json& l : model["lists"]) {
      std::vector<std::string> members;
      for (const json& m : l["member_org_ids"]) members.push_back(NameOf(orgs, S(m)));
      absl::StrAppend(&out, checkbox("lists", "lista-" + Str(l, "list_id"), Str(l, "list_id"),
                                     absl::StrCat(E(l["name"]), " <span class=\"hint\">(", Escape(absl::StrJoin(members, ", ")), ")</span>"),
                                     chosen("lists", Str(l, "list_id"))));
    }
    absl::StrAppend(&out, "</fieldset>");
  }
  absl::StrAppend(&out, "<fieldset><legend>Fler remissinstanser</legend>");
  for (const auto& [id, name] : orgs.items()) {
    if (id == sender) continue;
    absl::StrAppend(&out, checkbox("addressees", "instans-" + id, id, Escape(name.get<std::string>()), chosen("addressees", id)));
  }
  absl::StrAppend(&out, "</fieldset>");
  if (!model["lists"].empty()) {
    absl::StrAppend(&out, "<fieldset><legend>Utelämna trots sändlista</legend>");
    for (const auto& [id, name] : orgs.items()) {
      if (id == sender) continue;
      absl::StrAppend(&out, checkbox("remove", "utom-" + id, id, Escape(name.get<std::string>()), chosen("remove", id)));
    }
    absl::StrAppend(&out, "</fieldset>");
  }
  absl::StrAppend(&out, "<button type=\"submit\">Skapa remissen (utkast)</button></form>",
                  "<p class=\"hint\">Remissen skapas som utkast; skicka ut den från dess statustavla.</p>");
  return out;
}

std::string SignInView(const std::vector<DevIdentity>& identities, const std::string& csrf, bool dev_signin) {
  if (!dev_signin) {
    return "<h1>Logga in</h1><p>Inloggningen sker genom kommunens inloggningstjänst framför konsolen. "
           "Kontakta förvaltningens IT-stöd om du inte kommer in.</p>";
  }
  std::string out = absl::StrCat("<h1>Logga in</h1><p>Utvecklingsläge: välj vem du vill vara. "
                                 "Identiteterna finns bara i utveckling på den här datorn.</p>",
                                 "<form method=\"post\" action=\"/logga-in\">", CsrfField(csrf),
                                 "<fieldset><legend>Utvecklingsidentitet</legend>");
  int i = 0;
  for (const DevIdentity& d : identities) {
    absl::StrAppend(&out, "<p><input type=\"radio\" id=\"identitet-", i, "\" name=\"identity\" value=\"",
                    Escape(d.person.id), "\"", i == 0 ? " checked" : "", "><label class=\"choice\" for=\"identitet-", i,
                    "\">", Escape(d.label), " <span class=\"hint\">(", Escape(d.person.id), ")</span></label></p>");
    ++i;
  }
  absl::StrAppend(&out, "</fieldset><button type=\"submit\">Logga in</button></form>");
  return out;
}

std::vector<PdfBlock> CompilationDocument(const json& m) {
  const json& comp = m["live"];
  const json& orgs = m["organizations"];
  std::vector<PdfBlock> doc;
  doc.push_back({PdfBlock::kTitle, absl::StrCat("Remissammanställning: ", Str(comp, "title"))});
  doc.push_back({PdfBlock::kText, absl::StrCat("Diarienummer ", Str(comp, "case_number"), ".")});
  doc.push_back({PdfBlock::kHeading, "Ställningstaganden"});
  for (const auto& [sp, n] : comp["standpoints"].items()) {
    doc.push_back({PdfBlock::kText, absl::StrCat(StandpointLabel(sp), ": ", n.get<int>())});
  }
  if (!comp["not_answered"].empty()) {
    std::vector<std::string> names;
    for (const json& o : comp["not_answered"]) names.push_back(NameOf(orgs, S(o)));
    doc.push_back({PdfBlock::kText, absl::StrCat("Ej inkommit: ", absl::StrJoin(names, ", "), ".")});
  }
  doc.push_back({PdfBlock::kHeading, "Remissinstansernas svar"});
  for (const json& a : comp["answers"]) {
    doc.push_back({PdfBlock::kSubheading, Str(a, "org_name")});
    doc.push_back({PdfBlock::kText, absl::StrCat("Ställningstagande: ", StandpointLabel(Str(a, "standpoint")),
                                                 ". Beslut: ", Str(a, "decided_by").empty() ? "–" : Str(a, "decided_by"))});
    if (!Str(a, "summary").empty()) doc.push_back({PdfBlock::kQuote, Str(a, "summary")});
  }
  if (!comp["remarks_by_topic"].empty()) {
    doc.push_back({PdfBlock::kHeading, "Synpunkter per ämne"});
    for (const json& t : comp["remarks_by_topic"]) {
      doc.push_back({PdfBlock::kSubheading, Str(t, "topic")});
      for (const json& rm : t["remarks"]) {
        doc.push_back({PdfBlock::kText, absl::StrCat(NameOf(orgs, Str(rm, "org_id")), ": ", Str(rm, "text"))});
      }
    }
  }
  const auto by_party = StatementsByParty(comp);
  if (!by_party.empty()) {
    doc.push_back({PdfBlock::kHeading, "Reservationer och särskilda uttalanden per parti"});
    for (const auto& [party, list] : by_party) {
      doc.push_back({PdfBlock::kSubheading, party});
      for (const json& st : list) {
        std::vector<std::string> parties;
        for (const json& p : st["parties"]) parties.push_back(S(p));
        doc.push_back({PdfBlock::kText, absl::StrCat(StatementKindLabel(Str(st, "kind")), ", ",
                                                     NameOf(orgs, Str(st, "org_id")), " (", absl::StrJoin(parties, ", "), ")")});
        doc.push_back({PdfBlock::kQuote, Str(st, "text")});
      }
    }
  }
  return doc;
}

}  // namespace remiss::console
