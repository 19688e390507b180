#include "remiss/core/feeds/feed.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "remiss/core/feeds/event_fingerprint.h"
#include "remiss/core/feeds/feed_failures.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/telemetry/tracing.h"

namespace remiss::core {

namespace {

// An event from another incarnation of a source than the one the cursor's positions belong
// to: the source's store was wiped (or replaced) and numbers from 1 again. Taking its events
// for repeats would drop them silently, applying them would mix two histories: the feed parks.
absl::Status NewIncarnation(const FeedEvent& event, const FeedCursor& cursor) {
  return absl::FailedPreconditionError(absl::StrCat(
      "source: ", event.source, " is a new store (incarnation ", event.envelope.incarnation(),
      ", position ", event.envelope.position(), ") but this consumer applied ", event.source,
      "'s events up to position ", cursor.position, " of incarnation ", cursor.incarnation,
      ": the ", event.source, " store was started afresh instead of restored. Restore it from "
      "its topic (--restore-from-kafka on an empty --data-dir), or start this service afresh "
      "too"));
}

}  // namespace

bool IsOwnEvent(const ParkedEvent& parked, const std::optional<FeedCursor>& cursor) {
  if (parked.ahead || parked.position == 0 || parked.envelope_source != parked.source) return false;
  return !cursor || cursor->incarnation.empty() || parked.incarnation.empty() ||
         cursor->incarnation == parked.incarnation;
}

absl::Status FeedConsumer::Consume(const std::vector<FeedEvent>& batch) {
  if (batch.empty()) return absl::OkStatus();
  auto committed = store_->Execute(CommandMeta{}, [&](Tx& tx) -> absl::Status {
    for (size_t i = 0; i < batch.size(); ++i) {
      const FeedEvent& event = batch[i];
      const remiss::v1::EventEnvelope& e = event.envelope;
      std::optional<FeedCursor> cursor = tx.GetFeedCursor(event.source, event.partition);
      if (cursor && !cursor->incarnation.empty() && !e.incarnation().empty() &&
          cursor->incarnation != e.incarnation()) {
        return AtEvent(NewIncarnation(event, *cursor), i);
      }
      // The batch's last cursor is the one kept: only its event is fingerprinted.
      FeedCursor next{event.offset, e.position(), e.incarnation(),
                      i + 1 == batch.size() ? EventFingerprint(e) : std::string()};
      if (cursor && e.position() <= cursor->position) {
        // A repeat (the relay sent it again): consumed, not applied.
        next = FeedCursor{std::max(cursor->offset, event.offset), cursor->position,
                          cursor->incarnation.empty() ? e.incarnation() : cursor->incarnation,
                          cursor->fingerprint};
      } else {
        remiss::v1::ConsumedFrom consumed;
        consumed.set_source(event.source);
        consumed.set_partition(event.partition);
        consumed.set_offset(event.offset);
        consumed.set_position(e.position());
        consumed.set_incarnation(e.incarnation());
        consumed.set_feed_kind(kind_);
        tx.SetConsumed(&consumed);
        // A consumer span, child of the producer's (Kafka header) or the event's own context;
        // what the consumer records in reaction carries it.
        tracing::Span span;
        if (tracing::Enabled()) {
          span = tracing::Span(store_->source(), absl::StrCat("consume ", e.type()),
                               tracing::Kind::kConsumer,
                               event.traceparent.empty() ? e.traceparent() : event.traceparent);
          span.SetAttribute("messaging.source.name", event.source);
          span.SetAttribute("messaging.destination.partition.id", absl::StrCat(event.partition));
          span.SetAttribute("remiss.event_id", e.event_id());
          span.SetAttribute("remiss.event_type", e.type());
          span.SetAttribute("remiss.position", static_cast<int64_t>(e.position()));
          tx.SetTraceparent(span.traceparent());
        }
        absl::Status s = apply_(event, tx);
        tx.SetConsumed(nullptr);
        if (span.recording()) {
          tx.SetTraceparent("");
          if (!s.ok()) span.SetError(s.ToString());
        }
        if (!s.ok()) return AtEvent(std::move(s), i);
      }
      if (next.incarnation.empty() && cursor) next.incarnation = cursor->incarnation;
      tx.SetFeedCursor(event.source, event.partition, next);
    }
    return absl::OkStatus();
  });
  return committed.status();
}

absl::Status FeedConsumer::Run(Feed& feed) {
  if (const std::string kind = feed.kind(); !kind.empty()) {
    constexpr char kKindKey[] = "feeds/kind";
    std::optional<std::string> written = store_->GetMeta(kKindKey);
    if (!written && !store_->FeedCursors().empty()) {
      // A store from before the kind was kept: its cursors are taken to be this kind's.
      LogMessage(store_->source(), "feed_cursors_kind_unknown",
                 absl::StrCat("cursors of unknown kind, taken as ", kind));
    }
    if (written && *written != kind) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the ", store_->source(), " store's feed cursors were written by ", *written,
          " feeds (", *written == "local" ? "remissd, in one process" : "separate services over Kafka",
          ") and cannot be read by ", kind, " feeds: their offsets mean different things. Run "
          "this --data-dir the way it ran before (there is no migration)"));
    }
    if (!written) {
      if (absl::Status s = store_->PutMeta(kKindKey, kind); !s.ok()) return s;
    }
    kind_ = kind;
  }
  feeds_.push_back(&feed);
  return feed.Start(
      [this](const std::string& source, int32_t partition) {
        return store_->GetFeedCursor(source, partition);
      },
      [this](const std::vector<FeedEvent>& batch) { return Consume(batch); });
}

absl::StatusOr<std::pair<ParkedEvent, Feed*>> FeedConsumer::FindParked(
    const std::string& source, int32_t partition) const {
  for (Feed* feed : feeds_) {
    for (ParkedEvent& p : feed->Parked()) {
      if (p.source == source && p.partition == partition) return std::make_pair(std::move(p), feed);
    }
  }
  return absl::NotFoundError(absl::StrCat("source: ", source, " partition ", partition,
                                          " has no parked event"));
}

absl::StatusOr<ParkedEvent> FeedConsumer::Retry(const std::string& source, int32_t partition) {
  auto parked = FindParked(source, partition);
  if (!parked.ok()) return parked.status();
  if (absl::Status s = parked->second->Resume(source, partition); !s.ok()) return s;
  return parked->first;
}

absl::StatusOr<std::pair<ParkedEvent, CommitResult>> FeedConsumer::Skip(
    const std::string& source, int32_t partition, uint64_t position,
    std::optional<int64_t> offset, const remiss::v1::Actor& actor, const std::string& reason) {
  if (reason.empty()) return absl::InvalidArgumentError("reason: is required (why skip it?)");
  if (position == 0 && !offset) {
    return absl::InvalidArgumentError(
        "offset: is required to skip a message that is not an envelope (position 0)");
  }
  auto parked = FindParked(source, partition);
  if (!parked.ok()) return parked.status();
  if (parked->first.ahead) {
    return absl::FailedPreconditionError(absl::StrCat(
        "source: ", source, " partition ", partition, " is parked because this consumer is "
        "ahead of what its source holds; there is no event to skip. ", parked->first.reason));
  }
  if (parked->first.position != position) {
    return absl::InvalidArgumentError(absl::StrCat(
        "position: ", position, " is not the parked event of ", source, " partition ",
        partition, " (that is position ", parked->first.position, ")"));
  }
  if (offset && parked->first.offset != *offset) {
    return absl::InvalidArgumentError(absl::StrCat(
        "offset: ", *offset, " is not the parked message of ", source, " partition ",
        partition, " (that is offset ", parked->first.offset, ")"));
  }
  CommandMeta meta;
  meta.command = "SkipParkedEvent";
  meta.actor = actor;
  const ParkedEvent& p = parked->first;
  absl::StatusOr<CommitResult> done = store_->Execute(meta, [&](Tx& tx) -> absl::Status {
    std::optional<FeedCursor> cursor = tx.GetFeedCursor(p.source, p.partition);
    const bool own = IsOwnEvent(p, cursor);
    if (own && cursor && cursor->position >= p.position) {
      return absl::FailedPreconditionError(absl::StrCat(
          "position: ", p.position, " of ", p.source, " was applied already"));
    }
    remiss::v1::EventEnvelope e;
    e.set_partition_key(p.partition_key.empty() ? absl::StrCat("feed/", p.source) : p.partition_key);
    auto* skipped = e.mutable_operations()->mutable_feed_event_skipped();
    skipped->set_source(p.source);
    skipped->set_partition(p.partition);
    skipped->set_position(p.position);
    skipped->set_offset(p.offset);
    skipped->set_event_id(p.event_id);
    skipped->set_event_type(p.event_type);
    skipped->set_failure(p.reason);
    skipped->set_reason(reason);
    std::vector<remiss::v1::EventEnvelope> events;
    events.push_back(std::move(e));
    if (absl::Status s = tx.Append(absl::StrCat("feed/", p.source, "/", p.partition),
                                   std::nullopt, std::move(events));
        !s.ok()) {
      return s;
    }
    // Past a message of another history only the offset moves: the position cursor still
    // says which of the source's own events were applied (C10).
    FeedCursor next{p.offset, cursor ? cursor->position : 0,
                    cursor ? cursor->incarnation : std::string()};
    if (own) {
      next.position = std::max(p.position, next.position);
      if (next.incarnation.empty()) next.incarnation = p.incarnation;
    }
    tx.SetFeedCursor(p.source, p.partition, next);
    return absl::OkStatus();
  });
  if (!done.ok()) return done.status();
  if (absl::Status s = parked->second->Resume(source, partition); !s.ok()) return s;
  return std::make_pair(p, *done);
}

}  // namespace remiss::core
