// Who is using the console: the person, their organization and role. In development a
// person is chosen at /logga-in and remembered by a session cookie; in production the front
// proxy names the person on every request. Each person's forms carry a CSRF token, an HMAC of
// the session under a key made at start. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace remiss::console {

struct Person {
  std::string id;      // pseudonymous: "bromma-sdn-registrator-1", never a name
  std::string org_id;  // "bromma-sdn", "ks"
  std::string role;    // "ks", "board" or "reader"
  bool ks() const { return role == "ks"; }
  bool registrar_of(const std::string& org) const { return role == "board" && org_id == org; }
};

// A development identity as the chooser offers it.
struct DevIdentity {
  Person person;
  std::string label;  // "KS registrator", "Registrator, Bromma stadsdelsnämnd"
};

// The development identities for the organizations registered so far: KS's registrator and
// handläggare, a reader, and one registrar per other organization.
std::vector<DevIdentity> DevIdentities(const std::vector<std::pair<std::string, std::string>>& orgs);

// Whether the proxy headers name a usable person (ids of the services' own form, a known
// role); the person or nothing.
std::optional<Person> PersonFromProxyHeaders(const std::string& id, const std::string& org,
                                             const std::string& role);

class Sessions {
 public:
  Sessions();
  // A session lasts this long from sign-in, then the person signs in again.
  static constexpr std::chrono::hours kLifetime{12};
  // A new session for `person`: its cookie value (random, 256 bits). Drops expired ones.
  std::string Open(const Person& person);
  void Close(const std::string& token);
  std::optional<Person> Find(const std::string& token) const;
  // The CSRF token of a session key (the session cookie, or the proxy's person).
  std::string CsrfToken(const std::string& key) const;
  bool CsrfValid(const std::string& key, const std::string& token) const;

 private:
  std::string secret_;
  mutable std::mutex mu_;
  struct Session {
    Person person;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

// Random bytes as hex.
std::string RandomHex(size_t bytes);

}  // namespace remiss::console
