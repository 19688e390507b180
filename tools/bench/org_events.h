// Organization events for the benchmarks.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "remiss/v1/envelope.pb.h"

// The log the rebuild and relay benchmarks build: `orgs` organizations registered, then
// updates of them round-robin, so that event i touches organization i % orgs.
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

// One RegisterOrganization's event, as the append and store benchmarks commit it.
inline remiss::v1::EventEnvelope Registered(const std::string& id) {
  remiss::v1::EventEnvelope e;
  e.set_partition_key(id);
  auto* reg = e.mutable_referrals()->mutable_organization_registered();
  reg->set_org_id(id);
  reg->set_name("Bromma stadsdelsnämnd");
  reg->set_kind(remiss::v1::ORGANIZATION_KIND_STADSDELSNAMND);
  reg->set_diary_prefix("BRO");
  return e;
}
