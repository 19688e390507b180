#include "remiss/notices/smtp.h"

#include <curl/curl.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace remiss::notices {
namespace {

std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  std::string rest = url.substr(start);
  if (const size_t at = rest.find('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find_first_of(":/"));
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(SmtpSettings settings) : settings_(std::move(settings)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl_ = curl_easy_init();
  }
  ~CurlTransport() override {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }

  SmtpReply Send(const std::string& from, const std::string& to, const std::string&,
                 const std::string& message) override {
    SmtpReply out;
    if (curl_ == nullptr) {
      out.reply = "libcurl: no handle";
      return out;
    }
    Upload upload{&message, 0};
    lines_.clear();
    curl_slist* rcpt = curl_slist_append(nullptr, absl::StrCat("<", to, ">").c_str());
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, settings_.url.c_str());
    // STARTTLS is required off loopback (smtps:// is TLS from the start).
    curl_easy_setopt(curl_, CURLOPT_USE_SSL,
                     static_cast<long>(IsLoopbackUrl(settings_.url) ? CURLUSESSL_TRY : CURLUSESSL_ALL));
    if (!settings_.username.empty()) {
      curl_easy_setopt(curl_, CURLOPT_USERNAME, settings_.username.c_str());
      curl_easy_setopt(curl_, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    if (!settings_.client_cert.empty()) curl_easy_setopt(curl_, CURLOPT_SSLCERT, settings_.client_cert.c_str());
    if (!settings_.client_key.empty()) curl_easy_setopt(curl_, CURLOPT_SSLKEY, settings_.client_key.c_str());
    if (!settings_.ca_file.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, settings_.ca_file.c_str());
    curl_easy_setopt(curl_, CURLOPT_MAIL_FROM, absl::StrCat("<", from, ">").c_str());
    curl_easy_setopt(curl_, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl_, CURLOPT_READFUNCTION, &CurlTransport::Read);
    curl_easy_setopt(curl_, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(settings_.timeout)));
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    // The server's replies come through the debug callback (verbose, written nowhere).
    curl_easy_setopt(curl_, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(curl_, CURLOPT_DEBUGFUNCTION, &CurlTransport::Debug);
    curl_easy_setopt(curl_, CURLOPT_DEBUGDATA, this);
    // libcurl's own words for a failure (a TLS alert such as "certificate required", a refused
    // connection): what an operator needs when the server never answered.
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
    const CURLcode rc = curl_easy_perform(curl_);
    long code = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    out.code = static_cast<int>(code);
    // The reply to the command that decided (not a later QUIT's 221).
    std::string decisive;
    for (const std::string& line : lines_) {
      if (absl::StartsWith(line, absl::StrCat(code))) decisive = line;
    }
    out.reply = decisive.empty() ? std::string(curl_easy_strerror(rc)) : decisive;
    if (rc == CURLE_OK && code >= 200 && code < 300) {
      out.outcome = SmtpReply::Outcome::kDelivered;
    } else if (code >= 500 && code < 600) {
      out.outcome = SmtpReply::Outcome::kRejected;
    } else {
      out.outcome = SmtpReply::Outcome::kDeferred;  // 4xx, no answer, TLS or connection trouble
      if (rc != CURLE_OK && code < 400) {
        out.reply = absl::StrCat(curl_easy_strerror(rc), error[0] != '\0' ? absl::StrCat(" (", error, ")") : "",
                                 decisive.empty() ? "" : absl::StrCat(": ", decisive));
      }
    }
    return out;
  }

 private:
  struct Upload {
    const std::string* data;
    size_t offset;
  };
  static size_t Read(char* buffer, size_t size, size_t n, void* user) {
    auto* u = static_cast<Upload*>(user);
    const size_t room = size * n;
    const size_t left = u->data->size() - u->offset;
    const size_t take = std::min(room, left);
    std::memcpy(buffer, u->data->data() + u->offset, take);
    u->offset += take;
    return take;
  }
  static int Debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    if (type != CURLINFO_HEADER_IN) return 0;
    auto* self = static_cast<CurlTransport*>(user);
    std::string line(data, size);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.size() >= 3 && absl::ascii_isdigit(line[0])) self->lines_.push_back(std::move(line));
    return 0;
  }

  SmtpSettings settings_;
  CURL* curl_ = nullptr;
  std::vector<std::string> lines_;  // the server's reply lines to this message
};

class CaptureTransport final : public Transport {
 public:
  explicit CaptureTransport(std::string dir) : dir_(std::move(dir)) {}
  SmtpReply Send(const std::string&, const std::string&, const std::string& name,
                 const std::string& message) override {
    SmtpReply out;
    const std::string path = absl::StrCat(dir_, "/", name, ".eml");
    const std::string tmp = absl::StrCat(path, ".tmp");
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f << message;
      f.flush();
      if (!f) {
        out.reply = absl::StrCat("cannot write ", tmp);
        return out;
      }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      out.reply = absl::StrCat("cannot write ", path, ": ", ec.message());
      return out;
    }
    out.outcome = SmtpReply::Outcome::kDelivered;
    out.code = 250;
    out.reply = absl::StrCat("250 captured to ", path);
    return out;
  }

 private:
  std::string dir_;
};

}  // namespace

bool IsLoopbackUrl(const std::string& url) {
  const std::string host = absl::AsciiStrToLower(HostOf(url));
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::unique_ptr<Transport>> MakeSmtpTransport(SmtpSettings settings) {
  if (!absl::StartsWith(settings.url, "smtp://") && !absl::StartsWith(settings.url, "smtps://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--smtp-url: \"", settings.url, "\" is not smtp://HOST:PORT or smtps://HOST:PORT"));
  }
  if (HostOf(settings.url).empty()) return absl::InvalidArgumentError("--smtp-url: names no host");
  if ((settings.client_cert.empty()) != (settings.client_key.empty())) {
    return absl::InvalidArgumentError("--smtp-client-cert, --smtp-client-key: give both or neither");
  }
  return std::unique_ptr<Transport>(new CurlTransport(std::move(settings)));
}

absl::StatusOr<std::unique_ptr<Transport>> MakeCaptureTransport(std::string dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--smtp-capture: cannot create ", dir, ": ", ec.message()));
  return std::unique_ptr<Transport>(new CaptureTransport(std::move(dir)));
}

}  // namespace remiss::notices
