// What projectors share: reading a stored row back as its message, when an event was
// recorded, and reading an id out of whichever event an event message's oneof holds.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/v1/envelope.pb.h"

namespace remiss::core {

// The row stored under `key` as a `Message`; nullopt when there is none or it does not parse.
template <typename Message>
[[nodiscard]] std::optional<Message> LoadMessage(ProjectionTx& tx, absl::string_view key) {
  std::optional<std::string> bytes = tx.Get(key);
  Message m;
  if (!bytes || !m.ParseFromString(*bytes)) return std::nullopt;
  return m;
}

// `m` serialized with map entries in key order: the same message always gives the same bytes
// (plain serialization does not promise that for maps), as a projection digest needs.
[[nodiscard]] std::string DeterministicBytes(const google::protobuf::Message& m);

// When the event in `envelope` was recorded.
[[nodiscard]] absl::Time RecordedAt(const remiss::v1::EventEnvelope& envelope);

// The string `field` ("org_id") of the message that `m`'s first oneof holds (a ResponseEvent's
// event, say); "" when the oneof holds nothing, or its message has no such string field.
[[nodiscard]] std::string StringFieldOfOneof(const google::protobuf::Message& m,
                                             absl::string_view field);

}  // namespace remiss::core
