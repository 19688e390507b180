// remissd: every remiss service in one process, the embedded default. Services that
// follow others read their stores directly (LocalFeed). Built: referrals, responses, deadlines, followup,
// and notices when an SMTP server (--smtp-url) or a capture directory (--smtp-capture) is given.
// With --console-listen it also hosts the web console, a client of its own gRPC listener.
#include <cstring>
#include <iostream>
#include <string>

#include "remiss/console/console.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/core/server/server_main.h"
#include "remiss/deadlines/module.h"
#include "remiss/followup/module.h"
#include "remiss/notices/flags.h"
#include "remiss/notices/module.h"
#include "remiss/referrals/module.h"
#include "remiss/responses/module.h"

namespace {

// remissd's own flags, taken out of argv before the servers' shared flags are parsed.
struct ConsoleFlags {
  std::string listen;  // empty: no console
  bool dev_signin = false;
  bool tls = false;    // the gRPC listener speaks mutual TLS
};

bool TakeConsoleFlags(int& argc, char** argv, ConsoleFlags& out, std::string& error) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--console-dev-signin" || arg == "--console_dev_signin") {
      out.dev_signin = true;
      continue;
    }
    if (arg.rfind("--tls-", 0) == 0) out.tls = true;
    for (const char* name : {"--console-listen", "--console_listen"}) {
      const size_t n = std::strlen(name);
      if (arg == name) {
        if (i + 1 >= argc) {
          error = "--console-listen: needs a value";
          return false;
        }
        out.listen = argv[++i];
        arg.clear();
      } else if (arg.compare(0, n + 1, std::string(name) + "=") == 0) {
        out.listen = arg.substr(n + 1);
        arg.clear();
      }
    }
    if (!arg.empty()) argv[kept++] = argv[i];
  }
  argc = kept;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  ConsoleFlags console;
  remiss::notices::NoticesFlags notices;
  std::string error;
  if (!TakeConsoleFlags(argc, argv, console, error) ||
      !remiss::notices::TakeNoticesFlags(argc, argv, notices, error)) {
    std::cerr << "remissd: " << error << "\n";
    return 2;
  }
  // The links in notices lead to this console unless another is named.
  if (notices.console_url.empty() && !console.listen.empty()) notices.console_url = "http://" + console.listen;
  if (console.listen.empty() && console.dev_signin) {
    std::cerr << "remissd: --console-dev-signin: needs --console-listen\n";
    return 2;
  }
  if (!console.listen.empty() && console.tls) {
    std::cerr << "remissd: --console-listen: the in-process console serves only a plaintext loopback "
                 "remissd; under mutual TLS run remiss-console with the gateway certificate\n";
    return 2;
  }
  return remiss::core::ServerMain(
      argc, argv, "remissd",
      std::string("All remiss services in one process (the embedded default): referrals, responses,\n"
      "deadlines, followup; notices too when --smtp-url or --smtp-capture is given.\n"
      "Data stays in --data-dir across restarts; with --kafka-brokers every event is also\n"
      "published to remiss.<service>.events.v1.\n"
      "\n"
      "  --console-listen HOST:PORT  also serve the web console there (loopback only; e.g.\n"
      "                            127.0.0.1:8080, as tools/run.sh does; port 0 picks one)\n"
      "  --console-dev-signin      the console's development sign-in: choose an identity\n"
      "                            (loopback only; see README, \"Console\")\n") +
          remiss::notices::NoticesFlagsHelp(),
      [&notices](const remiss::core::ServerFlags&,
         const remiss::core::ModuleSettings& settings) -> absl::StatusOr<remiss::core::Modules> {
        remiss::core::Modules modules;
        auto referrals = remiss::referrals::ReferralsModule::Open(settings);
        if (!referrals.ok()) return referrals.status();
        auto responses = remiss::responses::ResponsesModule::Open(
            settings,
            std::make_unique<remiss::core::LocalFeed>(&(*referrals)->store()));
        if (!responses.ok()) return responses.status();
        auto deadlines = remiss::deadlines::DeadlinesModule::Open(
            settings,
            std::make_unique<remiss::core::LocalFeed>(&(*responses)->store()));
        if (!deadlines.ok()) return deadlines.status();
        std::vector<std::unique_ptr<remiss::core::Feed>> observed;
        observed.push_back(std::make_unique<remiss::core::LocalFeed>(&(*referrals)->store()));
        observed.push_back(std::make_unique<remiss::core::LocalFeed>(&(*responses)->store()));
        observed.push_back(std::make_unique<remiss::core::LocalFeed>(&(*deadlines)->store()));
        auto followup = remiss::followup::FollowupModule::Open(settings, std::move(observed));
        if (!followup.ok()) return followup.status();
        std::unique_ptr<remiss::notices::NoticesModule> notices_module;
        if (notices.enabled()) {
          auto config = remiss::notices::ConfigFromFlags(notices);
          if (!config.ok()) return config.status();
          std::vector<std::unique_ptr<remiss::core::Feed>> followed;
          followed.push_back(std::make_unique<remiss::core::LocalFeed>(&(*referrals)->store()));
          followed.push_back(std::make_unique<remiss::core::LocalFeed>(&(*responses)->store()));
          followed.push_back(std::make_unique<remiss::core::LocalFeed>(&(*deadlines)->store()));
          auto m = remiss::notices::NoticesModule::Open(settings, std::move(*config), std::move(followed));
          if (!m.ok()) return m.status();
          notices_module = std::move(*m);
        }
        modules.push_back(std::move(*referrals));
        modules.push_back(std::move(*responses));
        modules.push_back(std::move(*deadlines));
        modules.push_back(std::move(*followup));
        if (notices_module) modules.push_back(std::move(notices_module));
        return modules;
      },
      [&console](const std::string& address) -> absl::StatusOr<std::shared_ptr<void>> {
        if (console.listen.empty()) return std::shared_ptr<void>();
        remiss::console::ConsoleOptions options;
        options.listen = console.listen;
        options.referrals = options.responses = options.deadlines = options.followup = options.notices = address;
        options.dev_signin = console.dev_signin;
        auto started = remiss::console::StartConsole(options);
        if (!started.ok()) return started.status();
        std::cout << "remissd console on " << (*started)->Url()
                  << (console.dev_signin ? " (development sign-in)" : "") << std::endl;
        return std::shared_ptr<void>(std::move(*started));
      });
}
