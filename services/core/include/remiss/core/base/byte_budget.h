// The byte budget from the gRPC edge to the Kafka topic, in one place. Each layer sits
// above the one before it, so whatever a server accepts and records can also be published:
//   request (gRPC receive limit) > event of a command (checked in Tx::Append)
//   < any event (restatements and copies of other services' events add a little)
//   < the producer's message.max.bytes <= the topic's max.message.bytes (infra/kafka).
// Plain constants; thread-safe.
#pragma once

#include <cstddef>

namespace remiss::core {

// The serialized envelope of an event recorded by a client's command.
inline constexpr size_t kMaxCommandEventBytes = size_t{1} << 20;  // 1 MiB
// The serialized envelope of any event (a feed's restatement or copy of another
// service's event, which carries that event and a little more).
inline constexpr size_t kMaxEventBytes = size_t{2} << 20;  // 2 MiB
// The largest request a server accepts by default (--max-message-bytes): above the largest
// valid command, so that an oversized one is refused by the budget with its field named.
inline constexpr int kDefaultMaxRequestBytes = 4 << 20;  // 4 MiB
// librdkafka's message.max.bytes for the relay's producer; infra/kafka/topics.conf sets the
// topics' max.message.bytes to the same.
inline constexpr int kProducerMaxMessageBytes = 4 << 20;  // 4 MiB

static_assert(kMaxCommandEventBytes < kMaxEventBytes);
static_assert(kMaxEventBytes + (64 << 10) < static_cast<size_t>(kProducerMaxMessageBytes));
static_assert(kMaxCommandEventBytes < static_cast<size_t>(kDefaultMaxRequestBytes));

}  // namespace remiss::core
