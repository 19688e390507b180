// The log the rebuild and relay benchmarks build: `orgs` organizations registered, then
// updates of them round-robin, so that event i touches organization i % orgs.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "remiss/v1/envelope.pb.h"

inline remiss::v1::EventEnvelope OrgEvent(uint64_t i, uint64_t orgs) {
  remiss::v1::EventEnvelope e;
  const std::string id = absl::StrCat("org-", i % orgs);
  e.set_partition_key(id);
  if (i < orgs) {
    auto* r = e.mutable_referrals()->mutable_organization_registered();
    r->set_org_id(id);
    r->set_name(absl::StrCat("Stadsdelsnämnd ", i));
    r->set_kind(remiss::v1::ORGANIZATION_KIND_STADSDELSNAMND);
    r->set_diary_prefix("SDN");
  } else {
    auto* u = e.mutable_referrals()->mutable_organization_updated();
    u->set_org_id(id);
    u->set_name(absl::StrCat("Stadsdelsnämnd ", i));
    u->set_kind(remiss::v1::ORGANIZATION_KIND_STADSDELSNAMND);
    u->set_diary_prefix("SDN");
  }
  return e;
}
