#include "remiss/core/store/projection.h"

#include <cstdint>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace remiss::core {

std::string DeterministicBytes(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

ProjectionReader ReaderOf(ProjectionTx& tx) {
  return ProjectionReader{[&tx](absl::string_view key) { return tx.Get(key); },
                          [&tx](absl::string_view prefix, const auto& fn) { tx.Scan(prefix, fn); }};
}

ProjectionReader ReaderOf(const EventStore& store) {
  return ProjectionReader{[&store](absl::string_view key) { return store.GetProjection(key); },
                          [&store](absl::string_view prefix, const auto& fn) {
                            store.ScanProjections(prefix, "", fn);
                          }};
}

absl::Time RecordedAt(const remiss::v1::EventEnvelope& envelope) {
  return FromTimestamp(envelope.recorded_at());
}

std::string StringFieldOfOneof(const google::protobuf::Message& m, absl::string_view field) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Descriptor* descriptor = m.GetDescriptor();
  if (descriptor->oneof_decl_count() == 0) return "";
  const google::protobuf::Reflection* refl = m.GetReflection();
  const FieldDescriptor* set = refl->GetOneofFieldDescriptor(m, descriptor->oneof_decl(0));
  if (set == nullptr || set->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return "";
  const google::protobuf::Message& inner = refl->GetMessage(m, set);
  const FieldDescriptor* wanted = inner.GetDescriptor()->FindFieldByName(std::string(field));
  if (wanted == nullptr || wanted->is_repeated() ||
      wanted->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return "";
  }
  return inner.GetReflection()->GetString(inner, wanted);
}

}  // namespace remiss::core
