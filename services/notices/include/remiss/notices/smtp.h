// How a notice leaves: SMTP through libcurl (STARTTLS required unless the server is on
// loopback, AUTH when a user is given, an optional client certificate), or, for
// development, a directory where each message is written as a .eml file (--smtp-capture).
// A Transport is used by one thread at a time (the outbox's); it keeps its connection open
// between messages.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace remiss::notices {

struct SmtpSettings {
  std::string url;          // smtp://host:port (STARTTLS) or smtps://host:port (implicit TLS)
  std::string username;     // empty: no AUTH
  std::string password;
  std::string client_cert;  // PEM files; empty: none
  std::string client_key;
  std::string ca_file;      // trust anchors for the server's certificate; empty: the system's
  absl::Duration timeout = absl::Seconds(30);
};

// What the server said to one message.
struct SmtpReply {
  enum class Outcome { kDelivered, kDeferred, kRejected };
  Outcome outcome = Outcome::kDeferred;
  int code = 0;        // the last reply code; 0 when no server answered
  std::string reply;   // the last reply line (or the transport's error)
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `message` (CRLF lines) from `from` to `to`; `name` identifies it (the notice id).
  [[nodiscard]] virtual SmtpReply Send(const std::string& from, const std::string& to,
                                       const std::string& name, const std::string& message) = 0;
};

// Whether `url`'s host is a loopback address (127.0.0.0/8, ::1, localhost).
[[nodiscard]] bool IsLoopbackUrl(const std::string& url);

// INVALID_ARGUMENT naming --smtp-url when it is neither smtp:// nor smtps://, or when it is
// plain smtp:// off loopback without TLS being possible (never: STARTTLS is then required).
[[nodiscard]] absl::StatusOr<std::unique_ptr<Transport>> MakeSmtpTransport(SmtpSettings settings);
// Writes each message to <dir>/<name>.eml (atomically) and answers 250.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Transport>> MakeCaptureTransport(std::string dir);

}  // namespace remiss::notices
