// Envelopes of referrals events for store-level tests, as a command's Tx::Append takes them.
#pragma once

#include <string>

#include "remiss/v1/envelope.pb.h"

namespace remiss::testing {

// OrganizationRegistered for `org_id`, keyed by it.
inline remiss::v1::EventEnvelope Registered(const std::string& org_id,
                                            const std::string& name = "Bromma") {
  remiss::v1::EventEnvelope e;
  e.set_partition_key(org_id);
  auto* r = e.mutable_referrals()->mutable_organization_registered();
  r->set_org_id(org_id);
  r->set_name(name);
  return e;
}

}  // namespace remiss::testing
