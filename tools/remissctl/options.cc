#include "tools/remissctl/options.h"

#include <cstdlib>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/remissctl/errors.h"

namespace remissctl {
namespace {

void FromEnv(const char* name, std::string* out) {
  if (const char* v = std::getenv(name); v && *v) *out = v;
}

std::string ShortName(const std::string& service) {
  if (service == "remiss.v1.ReferralService" || service == "referrals") return "referrals";
  if (service == "remiss.v1.ResponseService" || service == "responses") return "responses";
  if (service == "remiss.v1.DeadlineService" || service == "deadlines") return "deadlines";
  if (service == "remiss.v1.FollowupService" || service == "followup") return "followup";
  if (service == "remiss.v1.NoticesService" || service == "notices") return "notices";
  return "";
}

}  // namespace

Options ParseGlobalOptions(std::vector<std::string>* args) {
  Options o;
  FromEnv("REMISS_SERVER", &o.server);
  FromEnv("REMISS_REFERRALS", &o.referrals);
  FromEnv("REMISS_RESPONSES", &o.responses);
  FromEnv("REMISS_DEADLINES", &o.deadlines);
  FromEnv("REMISS_FOLLOWUP", &o.followup);
  FromEnv("REMISS_NOTICES", &o.notices);
  FromEnv("REMISS_AS_ORG", &o.as_org);
  FromEnv("REMISS_AS_ROLE", &o.as_role);
  FromEnv("REMISS_AS_PERSON", &o.as_person);
  FromEnv("REMISS_CA", &o.ca);
  FromEnv("REMISS_CERT", &o.cert);
  FromEnv("REMISS_KEY", &o.key);
  FromEnv("REMISS_PKI", &o.pki);

  struct Str { const char* flag; std::string* out; };
  std::string timeout;
  std::string file;
  const Str strings[] = {
      {"--server", &o.server},       {"--referrals", &o.referrals}, {"--responses", &o.responses},
      {"--deadlines", &o.deadlines}, {"--followup", &o.followup}, {"--notices", &o.notices},   {"--timeout", &timeout},
      {"--command-id", &o.command_id}, {"--as-org", &o.as_org},     {"--as-role", &o.as_role},
      {"--as-person", &o.as_person}, {"--ca", &o.ca},               {"--cert", &o.cert},
      {"--key", &o.key},             {"--pki", &o.pki}};

  std::vector<std::string> rest;
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    if (a == "--") {  // everything after is positional
      rest.insert(rest.end(), args->begin() + i, args->end());
      break;
    }
    if (a == "--json") { o.json = true; continue; }
    if (a == "--help" || a == "-h" || (a == "help" && i == 0)) { o.help = true; continue; }
    std::string name = a, value;
    bool has_value = false;
    if (size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    bool matched = false;
    auto take = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= args->size()) throw UsageError(absl::StrCat(name, " needs a value"));
      return (*args)[++i];
    };
    for (const Str& s : strings) {
      if (name == s.flag) { *s.out = take(); matched = true; break; }
    }
    if (!matched && name == "--file") { o.files.push_back(take()); matched = true; }
    if (!matched) rest.push_back(a);
  }
  if (!timeout.empty() && (!absl::SimpleAtod(timeout, &o.timeout_seconds) || o.timeout_seconds <= 0)) {
    throw UsageError(absl::StrCat("--timeout: \"", timeout, "\" is not a number of seconds"));
  }
  if (!o.pki.empty() && o.ca.empty()) o.ca = o.pki + "/ca.pem";
  *args = rest;
  return o;
}

std::string AddressFor(const Options& o, const std::string& service) {
  std::string s = ShortName(service);
  const std::string* a = nullptr;
  if (s == "referrals") a = &o.referrals;
  if (s == "responses") a = &o.responses;
  if (s == "deadlines") a = &o.deadlines;
  if (s == "followup") a = &o.followup;
  if (s == "notices") a = &o.notices;
  return a && !a->empty() ? *a : o.server;
}

std::vector<std::pair<std::string, std::string>> AllAddresses(const Options& o) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (const char* s : {"referrals", "responses", "deadlines", "followup", "notices"}) {
    std::string a = AddressFor(o, s);
    if (seen.insert(a).second) out.emplace_back(s, a);
  }
  if (seen.size() == 1) out = {{"remissd", o.server}};
  return out;
}

}  // namespace remissctl
