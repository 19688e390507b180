// Test support for everything Kafka: a real single-node broker run by tools/kafka/kafka.sh in
// a fresh temporary directory (stopped and removed with the object), and a plain consumer
// that reads a whole topic for assertions. Not thread-safe; one test thread uses it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace remiss::testing {

class KafkaBroker {
 public:
  // Starts a broker in a new temporary directory; an error when it cannot start.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KafkaBroker>> Start();
  // One broker for the whole test binary, started on first use (nullptr, with the reason in
  // `error`, when it cannot start). Tests that stop the broker must use their own.
  [[nodiscard]] static KafkaBroker* Shared(std::string* error);

  ~KafkaBroker();  // stops the broker and removes its directory
  KafkaBroker(const KafkaBroker&) = delete;
  KafkaBroker& operator=(const KafkaBroker&) = delete;

  // "127.0.0.1:<port>"; the same after a restart.
  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& dir() const { return dir_; }

  // Stops the broker (its data stays); Restart() starts it again on the same ports and data.
  [[nodiscard]] absl::Status Stop();
  [[nodiscard]] absl::Status Restart();

 private:
  explicit KafkaBroker(std::string dir) : dir_(std::move(dir)) {}
  [[nodiscard]] absl::Status RunScript(const std::string& verb, std::string* out);

  std::string dir_;
  std::string bootstrap_;
  bool running_ = false;
};

// One message as a plain consumer sees it.
struct ConsumedMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Reads `topic` from the beginning up to its end (every partition's high watermark), with
// no consumer group. Reads again until at least `min_count` messages are there or `timeout`
// passes (then DEADLINE_EXCEEDED, naming how many it saw). Messages are in partition, offset
// order.
[[nodiscard]] absl::StatusOr<std::vector<ConsumedMessage>> ReadTopic(
    const std::string& brokers, const std::string& topic, size_t min_count,
    absl::Duration timeout = absl::Seconds(30));

// Produces raw messages (a test's poison) with a plain producer; waits for their delivery.
[[nodiscard]] absl::Status ProduceRaw(const std::string& brokers, const std::string& topic,
                                      const std::vector<std::pair<std::string, std::string>>&
                                          key_values);

// Deletes a topic (a test's lost topic); waits for the broker's answer.
[[nodiscard]] absl::Status DeleteTopic(const std::string& brokers, const std::string& topic);

// Sets a topic's settings to `config` with the (non-incremental) AlterConfigs API: every
// setting not named goes back to the broker's default. For tests that change a topic under a
// running service.
[[nodiscard]] absl::Status AlterTopicConfig(const std::string& brokers, const std::string& topic,
                                            const std::map<std::string, std::string>& config);

}  // namespace remiss::testing
