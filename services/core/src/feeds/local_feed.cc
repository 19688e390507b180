#include "remiss/core/feeds/local_feed.h"

#include <algorithm>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "remiss/core/feeds/event_fingerprint.h"
#include "remiss/core/feeds/feed_failures.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/base/thread_name.h"
#include "remiss/core/feeds/settled_marks.h"

namespace remiss::core {

// Where to go on from the consumer's cursor: after it; but from the start when the cursor
// belongs to another incarnation of the source (its store was started afresh), so that the
// consumer meets the new store's first event and parks, instead of waiting silently until the
// new store's positions pass the old ones.
uint64_t LocalFeed::NextAfter(const std::optional<FeedCursor>& cursor) const {
  if (!cursor) return 1;
  if (!cursor->incarnation.empty() && cursor->incarnation != source_->incarnation()) return 1;
  return cursor->position + 1;
}

LocalFeed::From LocalFeed::FromCursor(const std::optional<FeedCursor>& cursor) const {
  From from{.next = NextAfter(cursor)};
  if (cursor && from.next > 1) from.applied = cursor->fingerprint;
  return from;
}

// A consumer whose cursor (of the source's current incarnation) is past the source's last
// position, or at a position where the source now holds another event: the source was
// restored to an earlier point. Its new events take positions the consumer has applied
// already, with other content; taking them for repeats would drop them silently (C4), so the
// feed parks and an operator decides.
absl::StatusOr<std::optional<ParkedEvent>> LocalFeed::AheadOfSource(const From& from,
                                                                   bool at_start) const {
  if (from.next <= 1) return std::nullopt;
  const uint64_t applied = from.next - 1;
  // The feed reads no further than LastPosition() (Loop), so in one run of the source's
  // store a cursor is never past it. A cursor from before a restore in this run is measured
  // against where the restore ended: the source may have recorded past it since (deadlines
  // takes referrals' new events before followup's feed starts), at positions this consumer
  // applied with other content. After a restart the store no longer knows it was restored:
  // the event it holds at the cursor's position tells.
  const std::optional<uint64_t> restored = at_start ? source_->RestoredThrough() : std::nullopt;
  const uint64_t held = restored ? *restored : source_->LastPosition();
  std::string what;
  if (held < applied) {
    what = absl::StrCat("the ", source_->source(), " store holds only up to position ", held);
  } else if (!from.applied.empty()) {
    absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> at = source_->ReadLog(applied, 1);
    if (!at.ok()) return at.status();
    if (at->empty()) return std::nullopt;
    const std::string held_there = EventFingerprint((*at)[0]);
    if (held_there == from.applied) return std::nullopt;
    what = absl::StrCat("the ", source_->source(), " store's event at position ", applied,
                        " is another event (", (*at)[0].type(), ", fingerprint ", held_there,
                        ", not ", from.applied, ")");
  } else {
    return std::nullopt;
  }
  ParkedEvent p;
  p.source = source_->source();
  p.position = applied;
  p.offset = static_cast<int64_t>(applied);
  p.envelope_source = source_->source();
  p.incarnation = source_->incarnation();
  p.ahead = true;
  p.reason = absl::StrCat(
      "source: this consumer applied ", p.source, "'s events up to position ", applied,
      " (incarnation ", p.incarnation, ") but ", what, ": it was restored to an earlier point. "
      "Its next events would take positions this consumer has applied already and be dropped "
      "as repeats, so the feed waits. Retry once the ", p.source, " store holds position ",
      applied, " again with the same events, or start this service afresh (or restore it from "
      "its topic) to follow the restored source");
  return p;
}

std::optional<int64_t> LocalFeed::LastOffset(const std::string& source, int32_t partition) const {
  if (source != source_->source() || partition != 0) return std::nullopt;
  return static_cast<int64_t>(source_->LastPosition());  // offset = position
}

absl::Status LocalFeed::Start(CursorLookup cursors, Handler handler) {
  if (thread_.joinable()) return absl::FailedPreconditionError("the feed is already running");
  From from = FromCursor(cursors(source_->source(), 0));
  cursors_ = std::move(cursors);
  stop_ = false;
  thread_ = std::thread([this, from = std::move(from), handler = std::move(handler)] {
    NameThisThread(absl::StrCat("feed ", source_->source()));
    Loop(from, handler);
  });
  return absl::OkStatus();
}

void LocalFeed::Stop() {
  {
    absl::MutexLock lock(&mu_);  // wakes WaitWhileParked
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status LocalFeed::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

absl::Time LocalFeed::Watermark() const {
  absl::MutexLock lock(&mu_);
  return watermark_;
}

std::vector<ParkedEvent> LocalFeed::Parked() const {
  absl::MutexLock lock(&mu_);
  if (!parked_) return {};
  return {*parked_};
}

absl::Status LocalFeed::Resume(const std::string& source, int32_t partition) {
  absl::MutexLock lock(&mu_);
  if (!parked_ || source != source_->source() || partition != 0) {
    return absl::NotFoundError(absl::StrCat("source: ", source, " partition ", partition,
                                            " has no parked event"));
  }
  // Taken: until the feed's thread delivers again (or parks again), nothing is parked.
  parked_.reset();
  resume_ = true;
  return absl::OkStatus();
}

bool LocalFeed::WaitWhileParked() {
  absl::MutexLock lock(&mu_);
  auto resumed_or_stopped = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return resume_ || stop_.load();
  };
  mu_.Await(absl::Condition(&resumed_or_stopped));
  if (stop_) return false;
  resume_ = false;
  parked_.reset();
  return true;
}

void LocalFeed::Loop(From from, Handler handler) {
  uint64_t next = from.next;
  // Marks taken before reading the log: once the handler has taken everything up to a mark's
  // position, everything the source (and, transitively, the feeds it restates) recorded
  // before its instant is handled. Taken at every turn, so the watermark advances also while
  // the source keeps writing.
  SettledMarks marks;
  auto advance = [&] {
    const absl::Time reached = marks.Reached(next - 1);
    absl::MutexLock lock(&mu_);
    watermark_ = std::max(watermark_, reached);
  };
  Backoff backoff;
  size_t limit = batch_;  // smaller right after a poison event: what comes before it
  auto pause = [&](absl::Duration d) {
    for (absl::Time until = absl::Now() + d; !stop_ && absl::Now() < until;) {
      absl::SleepFor(absl::Milliseconds(10));
    }
  };
  bool check_ahead = true;  // at the start and after a resume: next comes from the cursor
  bool at_start = true;
  while (!stop_) {
    if (check_ahead) {
      absl::StatusOr<std::optional<ParkedEvent>> ahead = AheadOfSource(from, at_start);
      if (!ahead.ok()) {  // the source's storage: may pass
        LogJson("local_feed", "feed_retrying",
                {{"source", source_->source()}, {"message", ahead.status().ToString()}});
        pause(backoff.Next());
        continue;
      }
      check_ahead = false;
      at_start = false;
      if (*ahead) {
        LogJson("local_feed", "feed_parked",
                {{"source", source_->source()}, {"position", std::to_string((*ahead)->position)},
                 {"message", (*ahead)->reason}});
        {
          absl::MutexLock lock(&mu_);
          parked_ = std::move(**ahead);
        }
        if (!WaitWhileParked()) return;
        from = FromCursor(cursors_(source_->source(), 0));
        next = from.next;
        check_ahead = true;
        continue;
      }
    }
    marks.Offer(source_->Settled());
    advance();
    if (!source_->WaitForPosition(next - 1, absl::ZeroDuration())) {
      source_->WaitForPosition(next - 1, absl::Milliseconds(10));  // wakes for a new group
      continue;
    }
    // Up to LastPosition(): a group can be readable a moment before it names it.
    const uint64_t last = source_->LastPosition();
    if (last < next) continue;
    auto events = source_->ReadLog(next, std::min<uint64_t>(limit, last - next + 1));
    if (!events.ok()) {  // the source's storage: may pass
      LogJson("local_feed", "feed_retrying",
              {{"source", source_->source()}, {"message", events.status().ToString()}});
      pause(backoff.Next());
      continue;
    }
    if (events->empty()) continue;
    std::vector<FeedEvent> batch;
    batch.reserve(events->size());
    for (auto& e : *events) {
      const int64_t offset = static_cast<int64_t>(e.position());
      batch.push_back(FeedEvent{source_->source(), 0, offset, std::move(e)});
    }
    absl::Status s = handler(batch);
    if (s.ok()) {
      next = batch.back().envelope.position() + 1;
      limit = batch_;
      backoff.Reset();
      advance();
      continue;
    }
    if (IsTransient(s)) {
      LogJson("local_feed", "feed_retrying",
              {{"source", source_->source()}, {"position", std::to_string(next)},
               {"message", s.ToString()}});
      pause(backoff.Next());
      continue;
    }
    const size_t index = std::min(FailedEventIndex(s).value_or(0), batch.size() - 1);
    if (index > 0) {  // deliver what comes before it first
      limit = index;
      continue;
    }
    const remiss::v1::EventEnvelope& poison = batch.front().envelope;
    {
      absl::MutexLock lock(&mu_);
      parked_ = ParkedEvent{source_->source(), 0, poison.position(),
                            static_cast<int64_t>(poison.position()), poison.event_id(),
                            poison.type(), poison.partition_key(), s.ToString(),
                            poison.source().empty() ? source_->source() : poison.source(),
                            poison.incarnation()};
    }
    LogJson("local_feed", "feed_parked",
            {{"source", source_->source()}, {"position", std::to_string(poison.position())},
             {"type", poison.type()}, {"message", s.ToString()}},
            poison.traceparent());
    if (!WaitWhileParked()) return;
    // Resumed: from the consumer's cursor (past the event when an operator skipped it).
    from = FromCursor(cursors_(source_->source(), 0));
    next = from.next;
    limit = batch_;
    backoff.Reset();
    check_ahead = true;
  }
}

}  // namespace remiss::core
