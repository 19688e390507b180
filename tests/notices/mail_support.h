// What the notices' mail tests share: a real mailpit (tools/mailpit.sh builds it into the
// cache; a missing one fails the test) on loopback with its REST API read through libcurl,
// and a server process (remissd) started, killed (SIGKILL) and restarted on its data.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

extern char** environ;

namespace remiss::testing {

inline int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(s);
  return ntohs(a.sin_port);
}

// A child process, its output in a log file; killed (SIGKILL) when destroyed.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& args, std::string log_path) : log_path_(std::move(log_path)) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ChildProcess() { Kill(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // SIGTERM, and up to 20 s for it to exit.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 400; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    Kill();
  }
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // The last "listening on 127.0.0.1:PORT" the log holds, waiting up to `timeout`; 0 if none.
  int WaitForPort(absl::Duration timeout, size_t skip_bytes = 0) {
    static const std::regex kListening(R"(listening on 127\.0\.0\.1:([0-9]+))");
    const absl::Time until = absl::Now() + timeout;
    while (absl::Now() < until && running()) {
      std::string log = Log();
      log = log.size() > skip_bytes ? log.substr(skip_bytes) : std::string();
      std::smatch m;
      if (std::regex_search(log, m, kListening)) return std::stoi(m[1].str());
      absl::SleepFor(absl::Milliseconds(50));
    }
    return 0;
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
};

inline size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One HTTP request to loopback; the body, or "" with `ok` false.
inline std::string Http(const std::string& method, const std::string& url, const std::string& body, bool* ok) {
  CURL* c = curl_easy_init();
  std::string out;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty()) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  *ok = rc == CURLE_OK && code >= 200 && code < 300;
  return out;
}

// mailpit v1.33.1 on loopback (SMTP and its API), its store in `dir`.
class Mailpit {
 public:
  // The binary: tools/mailpit.sh path (built by tools/test.sh).
  static std::string Binary() {
    const std::string path = absl::StrCat(getenv("HOME"), "/.cache/remiss/mailpit-v1.33.1/mailpit");
    return access(path.c_str(), X_OK) == 0 ? path : "";
  }

  // `extra`: more of mailpit's flags (TLS, authentication).
  ::testing::AssertionResult Start(const std::string& dir, const std::vector<std::string>& extra = {}) {
    const std::string bin = Binary();
    if (bin.empty()) {
      return ::testing::AssertionFailure() << "mailpit is not built: run tools/mailpit.sh build (tools/test.sh does)";
    }
    smtp_port_ = FreePort();
    http_port_ = FreePort();
    std::vector<std::string> args = {bin, "--smtp", absl::StrCat("127.0.0.1:", smtp_port_), "--listen",
                                     absl::StrCat("127.0.0.1:", http_port_), "--disable-version-check", "--database",
                                     dir + "/mailpit.db", "--max", "0", "--enable-chaos", "--smtp-max-recipients", "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<ChildProcess>(args, dir + "/mailpit.log");
    for (int i = 0; i < 200; ++i) {
      bool ok = false;
      Http("GET", Api("/api/v1/info"), "", &ok);
      if (ok) return ::testing::AssertionSuccess();
      absl::SleepFor(absl::Milliseconds(50));
    }
    return ::testing::AssertionFailure() << "mailpit did not answer:\n" << process_->Log();
  }

  std::string smtp_url() const { return absl::StrCat("smtp://127.0.0.1:", smtp_port_); }
  std::string Api(const std::string& path) const { return absl::StrCat("http://127.0.0.1:", http_port_, path); }

  // Every stored message's summary (MessageID, To, Subject, Created, ...).
  std::vector<nlohmann::json> Messages() const {
    bool ok = false;
    const std::string body = Http("GET", Api("/api/v1/messages?limit=100000"), "", &ok);
    if (!ok) return {};
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.contains("messages")) return {};
    return j["messages"].get<std::vector<nlohmann::json>>();
  }
  size_t Count() const {
    bool ok = false;
    const std::string body = Http("GET", Api("/api/v1/messages?limit=1"), "", &ok);
    auto j = nlohmann::json::parse(body, nullptr, false);
    return ok && !j.is_discarded() ? j.value("messages_count", 0) : 0;
  }
  // The raw message (headers and body) of mailpit's message `id`.
  std::string Raw(const std::string& id) const {
    bool ok = false;
    return Http("GET", Api(absl::StrCat("/api/v1/message/", id, "/raw")), "", &ok);
  }
  // Chaos: the RCPT of `probability` percent of messages answered with `code`.
  bool RecipientChaos(int code, int probability) const {
    bool ok = false;
    Http("PUT", Api("/api/v1/chaos"),
         absl::StrCat(R"({"Recipient":{"ErrorCode":)", code, R"(,"Probability":)", probability, "}}"), &ok);
    return ok;
  }

 private:
  int smtp_port_ = 0, http_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace remiss::testing
