#include "remiss/core/server/server_main.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/kafka/kafka_properties.h"
#include "remiss/core/telemetry/metrics.h"
#include "remiss/core/server/restore_gate.h"
#include "remiss/core/server/service_host.h"
#include "remiss/core/telemetry/tracing.h"

namespace remiss::core {

ModuleSettings SettingsFor(const ServerFlags& flags, const Clock* clock) {
  return {.data_dir = flags.data_dir,
          .clock = clock,
          .kafka_brokers = flags.kafka_brokers,
          .kafka_topics = std::nullopt,  // ServerMain reads --kafka-topics-config's file
          .command_retention = absl::Hours(24) * flags.command_retention_days,
          .restore_from_kafka = flags.restore_from_kafka};
}

int ServerMain(int argc, char** argv, const std::string& program, const std::string& about,
               const OpenModules& open, const ServingHook& serving) {
  auto flags = ParseServerFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << program << ": " << flags.status().message() << "\n";
    return 2;
  }
  if (flags->help) {
    std::cout << "usage: " << program << " [flags]\n" << about << "\n\n" << ServerFlagsHelp();
    return 0;
  }
  if (!flags->kafka_properties.empty()) {
    auto properties = ReadKafkaProperties(flags->kafka_properties);
    if (!properties.ok()) {
      std::cerr << program << ": " << properties.status().message() << "\n";
      return 2;
    }
    SetKafkaClientProperties(std::move(*properties));
  }
  std::optional<TopicsConfig> kafka_topics;
  if (!flags->kafka_topics_config.empty()) {
    auto topics = ReadTopicsConfig(flags->kafka_topics_config);
    if (!topics.ok()) {
      std::cerr << program << ": --kafka-topics-config: " << topics.status().message() << "\n";
      return 2;
    }
    kafka_topics = std::move(*topics);
  }
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles (a debug aid, on in
  // its build) under one global lock: ~2% of a loaded server's CPU. The tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  BlockShutdownSignals();
  std::shared_ptr<prometheus::Exposer> metrics_exposer;
  if (!flags->metrics_listen.empty()) {
    if (!flags->metrics_remote && !IsLoopbackAddress(flags->metrics_listen)) {
      std::cerr << program << ": --metrics-listen " << flags->metrics_listen
                << ": not a loopback address; the metrics say what the services do (rates, lag, "
                   "refusals): give --metrics-allow-remote as well to serve them there\n";
      return 2;
    }
    auto exposer = metrics::Serve(flags->metrics_listen);
    if (!exposer.ok()) {
      std::cerr << program << ": " << exposer.status().message() << "\n";
      return 1;
    }
    metrics_exposer = std::move(*exposer);
  }
  if (!flags->otlp_endpoint.empty()) {
    if (absl::Status s = tracing::Start({.endpoint = flags->otlp_endpoint}); !s.ok()) {
      std::cerr << program << ": " << s.message() << "\n";
      return 2;
    }
  }
  // Spans still queued are exported (bounded) on every way out.
  struct StopTracing {
    ~StopTracing() { tracing::Shutdown(); }
  } stop_tracing;
  SystemClock system_clock;
  std::unique_ptr<ManualClock> manual_clock;
  if (flags->manual_clock) manual_clock = std::make_unique<ManualClock>(*flags->manual_clock);
  const Clock* clock = manual_clock ? static_cast<const Clock*>(manual_clock.get()) : &system_clock;
  // A store that must first be restored from its topic waits for an operator on the
  // service's address, which serves only health and the admin service meanwhile.
  RestoreGate restore_gate([&](RestoreGate* gate) -> absl::StatusOr<std::unique_ptr<ServiceHost>> {
    auto host = std::make_unique<ServiceHost>(flags->listen, flags->max_message_bytes);
    host->UseTls(flags->tls);
    host->UseRestoreGate(gate);
    host->ServeProbes(flags->probe_listen);
    if (absl::Status s = host->Start(); !s.ok()) return s;
    std::cout << program << " waiting for a restore on "
              << flags->listen.substr(0, flags->listen.rfind(':')) << ":" << host->port()
              << std::endl;
    return host;
  });
  ModuleSettings settings = SettingsFor(*flags, clock);
  settings.kafka_topics = kafka_topics;
  settings.restore_gate = &restore_gate;
  auto modules = open(*flags, settings);
  restore_gate.Stop();
  if (!modules.ok()) {
    std::cerr << program << ": " << modules.status().message() << "\n";
    return 1;
  }
  // Later modules may read earlier ones (remissd's feeds tail other stores): close them in
  // reverse order, on every way out.
  auto close_modules = [&modules] {
    while (!modules->empty()) modules->pop_back();
  };
  ServiceHost host(flags->listen, flags->max_message_bytes, manual_clock.get(), clock);
  host.UseTls(flags->tls);
  host.ServeProbes(flags->probe_listen);
  for (auto& m : *modules) m->Host(host);
  if (absl::Status s = host.Start(); !s.ok()) {
    std::cerr << program << ": " << s.message() << "\n";
    host.Shutdown(absl::ZeroDuration());
    close_modules();
    return 1;
  }
  std::string listen = flags->listen.substr(0, flags->listen.rfind(':'));
  std::cout << program << " listening on " << listen << ":" << host.port() << " (data in "
            << flags->data_dir << ", Kafka: "
            << (flags->kafka_brokers.empty() ? "off" : flags->kafka_brokers)
            << (flags->tls.enabled() ? ", mutual TLS" : ", PLAINTEXT")
            << (manual_clock ? ", manual clock at " + absl::FormatTime(clock->Now()) : "")
            << (metrics_exposer ? ", metrics on " + metrics::Url(*metrics_exposer, flags->metrics_listen) : "")
            << (tracing::Enabled() ? ", traces to " + flags->otlp_endpoint : "")
            << ")"
            << std::endl;
  std::shared_ptr<void> hosted;
  if (serving) {
    auto started = serving(absl::StrCat(listen, ":", host.port()));
    if (!started.ok()) {
      std::cerr << program << ": " << started.status().message() << "\n";
      host.Shutdown(absl::ZeroDuration());
      close_modules();
      return 1;
    }
    hosted = std::move(*started);
  }
  int signal = AwaitShutdownSignal();
  std::cout << program << ": signal " << signal << ", shutting down" << std::endl;
  hosted.reset();
  host.Shutdown();
  close_modules();
  std::cout << program << ": stopped" << std::endl;
  return 0;
}

}  // namespace remiss::core
