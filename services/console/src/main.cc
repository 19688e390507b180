// remiss-console: the web console as a program of its own, a gRPC client of the services.
#include <csignal>
#include <iostream>

#include "remiss/console/console.h"

int main(int argc, char** argv) {
  auto options = remiss::console::ParseConsoleFlags(argc, argv);
  if (!options.ok()) {
    std::cerr << "remiss-console: " << options.status().message() << "\n";
    return 2;
  }
  if (options->help) {
    std::cout << "usage: remiss-console [flags]\n"
                 "The web console for KS staff and board registrars (Swedish; every page also as JSON),\n"
                 "a client of the remiss services.\n\n"
              << remiss::console::ConsoleFlagsHelp();
    return 0;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts
  auto console = remiss::console::StartConsole(*options);
  if (!console.ok()) {
    std::cerr << "remiss-console: " << console.status().message() << "\n";
    return 1;
  }
  std::cout << "remiss-console on " << (*console)->Url()
            << (options->dev_signin ? " (development sign-in)" : "") << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  std::cout << "remiss-console: signal " << sig << ", shutting down" << std::endl;
  console->reset();
  return 0;
}
