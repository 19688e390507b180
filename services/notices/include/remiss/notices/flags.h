// The notices service's own flags, shared by remissd and remiss-notices, taken out of argv
// before the servers' shared flags are parsed (as remissd takes its console's):
//   --smtp-url smtp://HOST:PORT | smtps://HOST:PORT   where notices go (STARTTLS required
//                                                     off loopback)
//   --smtp-user USER --smtp-password-file FILE        AUTH (the password's first line)
//   --smtp-client-cert PEM --smtp-client-key PEM      a client certificate (optional)
//   --smtp-ca PEM                                     trust anchors for the server
//   --smtp-capture DIR                                development: write .eml files instead
//   --smtp-from ADDR (remiss@localhost) --smtp-from-name NAME (Remisstjänsten)
//   --notices-domain DOMAIN (remiss.local)            the Message-ID's right-hand side
//   --notices-templates DIR                           the texts (default: the source's)
//   --notices-console-url URL                         the console's address, for links
//   --notices-backoff DURATION (1m)                   the first retry after a 4xx; doubles
// Without --smtp-url or --smtp-capture the notices service is off.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "remiss/notices/domain.h"
#include "remiss/notices/outbox.h"
#include "remiss/notices/smtp.h"

namespace remiss::notices {

struct NoticesFlags {
  std::string smtp_url, smtp_user, smtp_password_file, smtp_client_cert, smtp_client_key, smtp_ca;
  std::string smtp_capture;
  std::string from = "remiss@localhost", from_name = "Remisstjänsten";
  std::string domain = "remiss.local";
  std::string templates;
  std::string console_url;
  std::string backoff = "1m";
  [[nodiscard]] bool enabled() const { return !smtp_url.empty() || !smtp_capture.empty(); }
};

// What the module opens with: where notices go and how they read.
struct NoticesConfig {
  std::unique_ptr<Transport> transport;
  OutboxSettings outbox;
  NoticeSettings notices;
};

// The help text of these flags.
[[nodiscard]] const char* NoticesFlagsHelp();
// Removes the flags above from argv into `out`; false (with `error` naming the flag) on a
// flag without its value.
[[nodiscard]] bool TakeNoticesFlags(int& argc, char** argv, NoticesFlags& out, std::string& error);
// The module's configuration: the transport, templates checked, the password read.
// INVALID_ARGUMENT naming the flag when one is wrong.
[[nodiscard]] absl::StatusOr<NoticesConfig> ConfigFromFlags(const NoticesFlags& flags);

}  // namespace remiss::notices
