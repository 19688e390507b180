#include "remiss/core/feeds/observed_fact.h"

#include "absl/strings/str_cat.h"

namespace remiss::core {

remiss::v1::FactObserved ObservedFact(const remiss::v1::EventEnvelope& source) {
  remiss::v1::FactObserved observed;
  observed.set_source(source.source());
  observed.set_position(source.position());
  observed.set_stream_version(source.stream_version());
  *observed.mutable_recorded_at() = source.recorded_at();
  if (source.has_referrals()) {
    *observed.mutable_referrals() = source.referrals();
  } else if (source.has_responses()) {
    *observed.mutable_responses() = source.responses();
  } else if (source.has_deadlines()) {
    *observed.mutable_deadlines() = source.deadlines();
  }
  return observed;
}

std::string ObservedStream(const remiss::v1::EventEnvelope& source) {
  return absl::StrCat("observed/", source.source(), "/", source.partition_key());
}

remiss::v1::EventEnvelope CausedBy(const remiss::v1::EventEnvelope& source) {
  remiss::v1::EventEnvelope caused;
  caused.set_partition_key(source.partition_key());
  caused.set_causation_id(source.event_id());
  caused.set_correlation_id(source.correlation_id());
  caused.set_traceparent(source.traceparent());
  return caused;
}

}  // namespace remiss::core
