// Small pieces the store's parts share: error mapping, key and value encodings, event types,
// the byte budget's refusal.
#include "absl/strings/str_cat.h"
#include "remiss/core/base/message_checks.h"
#include "remiss/core/base/keys.h"
#include "store_impl.h"

namespace remiss::core::internal {

using remiss::v1::EventEnvelope;

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

absl::Status ReadFailed(const rocksdb::Status& s, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("reading ", what, " failed (", s.ToString(),
                                             "); nothing was recorded, retry later"));
}

std::string StreamIndexKey(absl::string_view stream_id, uint64_t version) {
  return absl::StrCat(stream_id, absl::string_view("\0", 1), EncodeU64(version));
}

std::string FeedKey(absl::string_view source, int32_t partition) {
  return absl::StrCat("feed/", source, "/", partition);
}

// A feed cursor's value: offset and position (u64 each), then the source's incarnation.
// offset, position, the incarnation, then (when kept) a NUL and the event's fingerprint: an
// incarnation is hex, and a cursor from before the fingerprint was kept ends with it.
std::string EncodeCursor(const FeedCursor& c) {
  std::string out = absl::StrCat(EncodeU64(static_cast<uint64_t>(c.offset)),
                                 EncodeU64(c.position), c.incarnation);
  if (!c.fingerprint.empty()) absl::StrAppend(&out, absl::string_view("\0", 1), c.fingerprint);
  return out;
}

FeedCursor DecodeCursor(absl::string_view v) {
  FeedCursor c{static_cast<int64_t>(DecodeU64(v)), DecodeU64(v.substr(std::min<size_t>(8, v.size())))};
  if (v.size() <= 16) return c;
  absl::string_view rest = v.substr(16);
  const size_t nul = rest.find('\0');
  c.incarnation = std::string(rest.substr(0, nul));
  if (nul != absl::string_view::npos) c.fingerprint = std::string(rest.substr(nul + 1));
  return c;
}

std::string EventType(const EventEnvelope& e) {
  const auto* refl = e.GetReflection();
  const auto* field = refl->GetOneofFieldDescriptor(e, e.GetDescriptor()->FindOneofByName("payload"));
  if (field == nullptr) return "";
  const google::protobuf::Message& inner = refl->GetMessage(e, field);
  const auto* d = inner.GetDescriptor();
  for (int i = 0; i < d->oneof_decl_count(); ++i) {
    const auto* f = inner.GetReflection()->GetOneofFieldDescriptor(inner, d->oneof_decl(i));
    if (f != nullptr && f->message_type() != nullptr) return f->message_type()->name();
  }
  return d->name();
}

absl::Status OverBudget(const EventEnvelope& e, size_t bytes, size_t limit) {
  const auto* refl = e.GetReflection();
  const auto* service = refl->GetOneofFieldDescriptor(e, e.GetDescriptor()->FindOneofByName("payload"));
  FieldSize largest;
  if (service != nullptr) {
    // Inside the service's payload, the event message itself: its fields are the command's.
    // The largest of them is named, wherever it comes in the message.
    const google::protobuf::Message& payload = refl->GetMessage(e, service);
    std::vector<const google::protobuf::FieldDescriptor*> set;
    payload.GetReflection()->ListFields(payload, &set);
    for (const auto* f : set) {
      if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) continue;
      FieldSize inside = LargestField(payload.GetReflection()->GetMessage(payload, f));
      if (largest.path.empty() || inside.bytes > largest.bytes) largest = std::move(inside);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      largest.path.empty() ? "request" : largest.path, ": the ", e.type(), " it records would be ",
      bytes, " bytes, more than the ", limit, " bytes an event may have",
      largest.path.empty() ? "" : absl::StrCat(" (this field holds ", largest.bytes, " bytes)"),
      "; shorten it or send it as an attached document"));
}

}  // namespace remiss::core::internal
