// A projector for store-level tests: keeps each stream's version under "stream/<id>", so that
// digests have something to compare.
#pragma once

#include "absl/strings/str_cat.h"
#include "remiss/core/store/event_store.h"

namespace remiss::testing {

class VersionsProjector : public core::Projector {
 public:
  absl::Status Apply(const remiss::v1::EventEnvelope& e, core::ProjectionTx& tx) override {
    tx.Put(absl::StrCat("stream/", e.stream_id()), absl::StrCat(e.stream_version()));
    return absl::OkStatus();
  }
};

}  // namespace remiss::testing
