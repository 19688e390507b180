#include "remiss/notices/outbox.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/fault_points.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/telemetry/tracing.h"
#include "remiss/notices/domain.h"
#include "remiss/notices/message.h"
#include "remiss/notices/projector.h"
#include "remiss/notices/templates.h"

namespace remiss::notices {
namespace {

using remiss::v1::Notice;

absl::Time NextTry(const Notice& n) {
  return n.has_next_try_at() ? core::FromTimestamp(n.next_try_at()) : absl::InfinitePast();
}

}  // namespace

absl::StatusOr<size_t> Outbox::SendDue() {
  const Reader reader = ReaderOf(*store_);
  const absl::Time now = store_->clock().Now();
  std::vector<Notice> due;
  for (Notice& n : ListNotices(reader, std::string(kOutboxPrefix))) {
    if (NextTry(n) <= now) due.push_back(std::move(n));
  }
  if (due.empty()) return 0;
  std::sort(due.begin(), due.end(), [](const Notice& a, const Notice& b) {
    return std::make_pair(NextTry(a), a.notice_id()) < std::make_pair(NextTry(b), b.notice_id());
  });
  if (due.size() > settings_.batch) due.resize(settings_.batch);
  auto templates = LoadTemplates(settings_.templates_dir);
  size_t tried = 0;
  for (const Notice& n : due) {
    // A shutdown waits for the message under way only, not for the rest of the batch.
    if (!stop_.SleepFor(absl::ZeroDuration())) break;
    ++tried;
    core::tracing::Span span;
    if (core::tracing::Enabled()) {
      span = core::tracing::Span("notices", "notice.deliver", core::tracing::Kind::kClient);
      span.AddLink(n.traceparent(), "queued");
      span.SetAttribute("remiss.notice_id", n.notice_id());
      span.SetAttribute("remiss.referral_id", n.referral_id());
      span.SetAttribute("remiss.org_id", n.org_id());
      span.SetAttribute("remiss.attempt", static_cast<int64_t>(n.attempts() + 1));
    }
    const uint32_t attempt = n.attempts() + 1;
    const std::string message_id = MessageIdFor(n.event_id(), settings_.domain);
    span.SetAttribute("remiss.message_id", message_id);  // what the registry receives: how it finds this span
    SmtpReply reply;
    auto queued = LoadQueued(reader, n.notice_id());
    absl::StatusOr<RenderedNotice> rendered =
        !templates.ok() ? templates.status()
        : !queued       ? absl::DataLossError(absl::StrCat("queued/", n.notice_id(), " is missing"))
                        : Render(*templates, *queued);
    if (!rendered.ok()) {
      reply.outcome = SmtpReply::Outcome::kRejected;
      reply.reply = std::string(rendered.status().message());
    } else {
      MessageParts parts{.from_address = settings_.from_address,
                         .from_name = settings_.from_name,
                         .to_address = n.recipient(),
                         .to_name = n.recipient_name(),
                         .subject = rendered->subject,
                         .text = rendered->text,
                         .html = rendered->html,
                         .message_id = message_id,
                         .case_number = n.case_number(),
                         .notice_id = n.notice_id(),
                         .date = core::FromTimestamp(n.queued_at())};
      reply = transport_->Send(settings_.from_address, n.recipient(), n.notice_id(), BuildMessage(parts));
      // Fault tests only (fault_points.h): die with the server's 250 in and no record of it.
      if (reply.outcome == SmtpReply::Outcome::kDelivered) REMISS_FAULT_POINT("notices.after_accept");
    }
    span.SetAttribute("remiss.smtp_code", static_cast<int64_t>(reply.code));
    remiss::v1::EventEnvelope env;
    env.set_partition_key(n.referral_id());
    env.set_causation_id(n.event_id());
    auto* event = env.mutable_notices();
    auto r = store_->Execute({}, [&](core::Tx& tx) -> absl::Status {
      const absl::Time at = tx.Now();
      switch (reply.outcome) {
        case SmtpReply::Outcome::kDelivered: {
          auto* d = event->mutable_notice_delivered();
          d->set_notice_id(n.notice_id());
          d->set_message_id(message_id);
          d->set_code(reply.code);
          d->set_reply(reply.reply);
          d->set_attempt(attempt);
          *d->mutable_delivered_at() = core::ToTimestamp(at);
          break;
        }
        case SmtpReply::Outcome::kDeferred: {
          auto* d = event->mutable_notice_deferred();
          d->set_notice_id(n.notice_id());
          d->set_code(reply.code);
          d->set_reply(reply.reply);
          d->set_attempt(attempt);
          *d->mutable_next_try_at() =
              core::ToTimestamp(at + BackoffAfter(n.deferrals() + 1, settings_.backoff, settings_.max_backoff));
          break;
        }
        case SmtpReply::Outcome::kRejected: {
          auto* d = event->mutable_notice_rejected();
          d->set_notice_id(n.notice_id());
          d->set_code(reply.code);
          d->set_reply(reply.reply);
          d->set_attempt(attempt);
          break;
        }
      }
      if (span.recording()) tx.SetTraceparent(span.traceparent());
      return tx.Append(NoticeStream(n.notice_id()), std::nullopt, {env});
    });
    if (!r.ok()) {
      span.SetError(r.status().ToString());
      return r.status();
    }
    if (reply.outcome != SmtpReply::Outcome::kDelivered) {
      span.SetError(reply.reply);
      core::LogJson("notices", reply.outcome == SmtpReply::Outcome::kRejected ? "notice_rejected" : "notice_deferred",
                    {{"notice_id", n.notice_id()}, {"code", absl::StrCat(reply.code)}, {"reply", reply.reply}},
                    span.traceparent());
    }
  }
  return tried;
}

void Outbox::Start() {
  stop_.Reset();
  thread_ = std::thread([this] {
    do {
      while (true) {
        auto sent = SendDue();
        if (!sent.ok()) {
          core::LogMessage("notices", "outbox_failed", sent.status().ToString());
          break;
        }
        if (!stop_.SleepFor(absl::ZeroDuration())) return;
        if (*sent < settings_.batch) break;
      }
    } while (stop_.SleepFor(absl::Milliseconds(100)));
  });
}

void Outbox::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace remiss::notices
