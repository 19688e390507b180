#include "remiss/notices/flags.h"

#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "remiss/notices/templates.h"

namespace remiss::notices {

const char* NoticesFlagsHelp() {
  return "  --smtp-url smtp://HOST:PORT  mail notices to the boards' registry mailboxes there\n"
         "                            (STARTTLS required off loopback; smtps:// for implicit TLS)\n"
         "  --smtp-user USER, --smtp-password-file FILE   SMTP AUTH\n"
         "  --smtp-client-cert PEM, --smtp-client-key PEM  a client certificate (optional)\n"
         "  --smtp-ca PEM             trust anchors for the SMTP server's certificate\n"
         "  --smtp-capture DIR        development: write each notice as DIR/<notice>.eml instead\n"
         "  --smtp-from ADDR, --smtp-from-name NAME   the sender (remiss@localhost, Remisstjänsten)\n"
         "  --notices-domain DOMAIN   Message-ID's domain: <notice.<event_id>@DOMAIN>\n"
         "  --notices-templates DIR   the notices' texts (<kind>.txt and .html)\n"
         "  --notices-console-url URL the console's address, for the links in notices\n"
         "  --notices-backoff DURATION  the first retry after a 4xx (default 1m; doubles, at most 1h)\n"
         "  Without --smtp-url or --smtp-capture no notices are sent (the notices service is off).";
}

bool TakeNoticesFlags(int& argc, char** argv, NoticesFlags& out, std::string& error) {
  const std::map<std::string, std::string*> names = {
      {"--smtp-url", &out.smtp_url},
      {"--smtp-user", &out.smtp_user},
      {"--smtp-password-file", &out.smtp_password_file},
      {"--smtp-client-cert", &out.smtp_client_cert},
      {"--smtp-client-key", &out.smtp_client_key},
      {"--smtp-ca", &out.smtp_ca},
      {"--smtp-capture", &out.smtp_capture},
      {"--smtp-from", &out.from},
      {"--smtp-from-name", &out.from_name},
      {"--notices-domain", &out.domain},
      {"--notices-templates", &out.templates},
      {"--notices-console-url", &out.console_url},
      {"--notices-backoff", &out.backoff},
  };
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool taken = false;
    for (const auto& [name, target] : names) {
      if (arg == name) {
        if (i + 1 >= argc) {
          error = absl::StrCat(name, ": needs a value");
          return false;
        }
        *target = argv[++i];
        taken = true;
      } else if (arg.rfind(name + "=", 0) == 0) {
        *target = arg.substr(name.size() + 1);
        taken = true;
      }
      if (taken) break;
    }
    if (!taken) argv[kept++] = argv[i];
  }
  argc = kept;
  return true;
}

absl::StatusOr<NoticesConfig> ConfigFromFlags(const NoticesFlags& flags) {
  NoticesConfig config;
  if (!flags.smtp_url.empty() && !flags.smtp_capture.empty()) {
    return absl::InvalidArgumentError("--smtp-capture: not with --smtp-url (one or the other)");
  }
  if (!flags.smtp_capture.empty()) {
    auto t = MakeCaptureTransport(flags.smtp_capture);
    if (!t.ok()) return t.status();
    config.transport = std::move(*t);
  } else {
    SmtpSettings smtp{.url = flags.smtp_url,
                      .username = flags.smtp_user,
                      .client_cert = flags.smtp_client_cert,
                      .client_key = flags.smtp_client_key,
                      .ca_file = flags.smtp_ca};
    if (!flags.smtp_password_file.empty()) {
      std::ifstream in(flags.smtp_password_file);
      if (!in || !std::getline(in, smtp.password)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--smtp-password-file: cannot read ", flags.smtp_password_file));
      }
    }
    if (!flags.smtp_user.empty() && flags.smtp_password_file.empty()) {
      return absl::InvalidArgumentError("--smtp-password-file: required with --smtp-user");
    }
    auto t = MakeSmtpTransport(std::move(smtp));
    if (!t.ok()) return t.status();
    config.transport = std::move(*t);
  }
  config.outbox.from_address = flags.from;
  config.outbox.from_name = flags.from_name;
  config.outbox.domain = flags.domain;
  config.outbox.templates_dir = flags.templates.empty() ? DefaultTemplatesDir() : flags.templates;
  if (!absl::ParseDuration(flags.backoff, &config.outbox.backoff) || config.outbox.backoff <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("--notices-backoff: \"", flags.backoff, "\" is not a duration (e.g. 1m)"));
  }
  if (flags.from.find('@') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("--smtp-from: \"", flags.from, "\" is not an address"));
  }
  if (auto t = LoadTemplates(config.outbox.templates_dir); !t.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--notices-templates: ", t.status().message()));
  }
  std::string url = flags.console_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  config.notices.console_url = url;
  return config;
}

}  // namespace remiss::notices
