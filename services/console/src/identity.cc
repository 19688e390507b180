#include "identity.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace remiss::console {
namespace {

bool IsId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

}  // namespace

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return absl::BytesToHexString(raw);
}

std::vector<DevIdentity> DevIdentities(const std::vector<std::pair<std::string, std::string>>& orgs) {
  std::vector<DevIdentity> out = {
      {{"ks-registrator-1", "ks", "ks"}, "KS registrator (kommunstyrelsen)"},
      {{"ks-handlaggare-7", "ks", "ks"}, "KS handläggare (stadsledningskontoret)"},
      {{"ks-lasare-1", "ks", "reader"}, "Läsare (endast läsrätt)"},
  };
  for (const auto& [id, name] : orgs) {
    if (id == "ks" || !IsId(id)) continue;
    out.push_back({{absl::StrCat(id, "-registrator-1"), id, "board"}, absl::StrCat("Registrator, ", name)});
  }
  return out;
}

std::optional<Person> PersonFromProxyHeaders(const std::string& id, const std::string& org,
                                             const std::string& role) {
  if (!IsId(id) || !IsId(org)) return std::nullopt;
  if (role != "ks" && role != "board" && role != "reader") return std::nullopt;
  return Person{id, org, role};
}

Sessions::Sessions() : secret_(RandomHex(32)) {}

std::string Sessions::Open(const Person& person) {
  std::string token = RandomHex(32);
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(sessions_, [now](const auto& s) { return s.second.expires <= now; });
  sessions_[token] = Session{person, now + kLifetime};
  return token;
}

void Sessions::Close(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(token);
}

std::optional<Person> Sessions::Find(const std::string& token) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(token);
  if (it == sessions_.end() || it->second.expires <= std::chrono::steady_clock::now()) return std::nullopt;
  return it->second.person;
}

std::string Sessions::CsrfToken(const std::string& key) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(key.data()), key.size(), mac, &len);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), len));
}

bool Sessions::CsrfValid(const std::string& key, const std::string& token) const {
  const std::string want = CsrfToken(key);
  return token.size() == want.size() && CRYPTO_memcmp(token.data(), want.data(), want.size()) == 0;
}

}  // namespace remiss::console
