// What projectors share: reading a stored row back as its message, when an event was
// recorded, and reading an id out of whichever event an event message's oneof holds.
#pragma once

#include <functional>
#include <map>
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

// Read access to projections, inside a transaction or over committed state.
struct ProjectionReader {
  std::function<std::optional<std::string>(absl::string_view)> get;
  std::function<void(absl::string_view, const std::function<bool(absl::string_view, absl::string_view)>&)> scan;
};
[[nodiscard]] ProjectionReader ReaderOf(ProjectionTx& tx);
[[nodiscard]] ProjectionReader ReaderOf(const EventStore& store);

// The row under `key` as a `Message`, through a reader; nullopt when there is none or it does not parse.
template <typename Message>
[[nodiscard]] std::optional<Message> ReadRow(const ProjectionReader& reader, absl::string_view key) {
  std::optional<std::string> bytes = reader.get(key);
  Message m;
  if (!bytes || !m.ParseFromString(*bytes)) return std::nullopt;
  return m;
}

// Every row under `prefix`, parsed, keyed by what follows the prefix (rows that do not parse are left out).
template <typename Message>
[[nodiscard]] std::map<std::string, Message> ReadRows(const ProjectionReader& reader, const std::string& prefix) {
  std::map<std::string, Message> out;
  reader.scan(prefix, [&](absl::string_view key, absl::string_view value) {
    Message m;
    if (m.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      out.emplace(std::string(key.substr(prefix.size())), std::move(m));
    }
    return true;
  });
  return out;
}

// The row under `key` (an empty `Message` when there is none), changed by `change` and put back
// in deterministic bytes.
template <typename Message>
void UpdateRow(ProjectionTx& tx, const std::string& key, const std::function<void(Message&)>& change) {
  Message m = LoadMessage<Message>(tx, key).value_or(Message());
  change(m);
  tx.Put(key, DeterministicBytes(m));
}

// When the event in `envelope` was recorded.
[[nodiscard]] absl::Time RecordedAt(const remiss::v1::EventEnvelope& envelope);

// The string `field` ("org_id") of the message that `m`'s first oneof holds (a ResponseEvent's
// event, say); "" when the oneof holds nothing, or its message has no such string field.
[[nodiscard]] std::string StringFieldOfOneof(const google::protobuf::Message& m,
                                             absl::string_view field);

}  // namespace remiss::core
