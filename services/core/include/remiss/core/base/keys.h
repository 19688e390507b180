// Key encodings shared by the store, the relay and the feeds: big-endian integers sort
// in numeric order under RocksDB's bytewise comparator.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

namespace remiss::core {

[[nodiscard]] std::string EncodeU64(uint64_t v);
// Reads the first 8 bytes; returns 0 when `bytes` is shorter.
[[nodiscard]] uint64_t DecodeU64(absl::string_view bytes);

// The Kafka topic a source publishes to: "remiss.<source>.events.v1".
[[nodiscard]] std::string TopicFor(absl::string_view source);

}  // namespace remiss::core
