// The public EventStore: opening, submitting, and what the store is now. Everything else
// forwards to Impl (store_impl.h), whose parts are in this folder.
#include "remiss/core/store/event_store.h"

#include "absl/synchronization/notification.h"
#include "store_impl.h"

namespace remiss::core {

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::~EventStore() = default;

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(EventStoreOptions options) {
  if (options.clock == nullptr) return absl::InvalidArgumentError("clock: is required");
  if (options.source.empty()) return absl::InvalidArgumentError("source: is required");
  if (options.max_group == 0) options.max_group = 1;
  auto impl = std::make_unique<Impl>(std::move(options));
  absl::Status s = impl->Open();
  if (!s.ok()) return s;
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

void EventStore::Submit(CommandMeta meta, TxFn fn, Done done) {
  impl_->Submit(Impl::Pending{std::move(meta), std::move(fn), std::move(done)});
}

absl::StatusOr<CommitResult> EventStore::Execute(CommandMeta meta, TxFn fn) {
  absl::Notification finished;
  absl::StatusOr<CommitResult> out;
  Submit(std::move(meta), std::move(fn), [&](absl::StatusOr<CommitResult> r) {
    out = std::move(r);
    finished.Notify();
  });
  finished.WaitForNotification();
  return out;
}

const std::string& EventStore::source() const { return impl_->options().source; }
const std::string& EventStore::incarnation() const { return impl_->incarnation_; }
const Clock& EventStore::clock() const { return *impl_->options().clock; }
uint64_t EventStore::LastPosition() const { return impl_->last_position(); }
absl::Time EventStore::SettledUntil() const { return impl_->SettledUntil(); }
absl::Status EventStore::Poisoned() const {
  absl::Status poisoned = impl_->Poisoned();
  return poisoned.ok() ? impl_->RocksDbError() : poisoned;
}

SettledMark EventStore::Settled() const {
  // In this order: what the restated feeds delivered before their watermark, and what this
  // store recorded before its settled instant, is committed by now, so at or below the last
  // position read after both.
  const auto& restated = impl_->options().restated_until;
  const absl::Time upstream = restated ? restated() : absl::InfiniteFuture();
  const absl::Time own = impl_->SettledUntil();
  return SettledMark{std::min(upstream, own), impl_->last_position()};
}

bool EventStore::WaitForPosition(uint64_t after, absl::Duration timeout) const {
  return impl_->WaitForPosition(after, timeout);
}

absl::Status EventStore::StartRebuild() { return impl_->StartRebuild(); }
RebuildProgress EventStore::Rebuild() const { return impl_->Rebuild(); }

absl::StatusOr<Digest> EventStore::RebuildProjections() {
  if (absl::Status s = impl_->StartRebuild(); !s.ok()) return s;
  if (absl::Status s = impl_->WaitForRebuild(); !s.ok()) return s;
  return ProjectionDigest();
}

}  // namespace remiss::core
