// The referrals domain's organizations: registering a board (or KS), its registry mailbox,
// updating its details; and their fold. The same order of checks as domain.cc: the command's
// own fields (INVALID_ARGUMENT), then the organization's existence (ALREADY_EXISTS,
// NOT_FOUND). Every message starts with the field it is about.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "remiss/core/base/ids.h"
#include "remiss/core/base/limits.h"
#include "remiss/core/base/validation.h"
#include "remiss/referrals/domain.h"
#include "round_rules.h"

namespace remiss::referrals {
namespace {

using core::Invalid;
using core::MaxLength;
using core::RequiredText;
using internal::One;
using remiss::v1::Organization;
using remiss::v1::OrganizationKind;
using remiss::v1::ReferralEvent;

constexpr size_t kMaxNameLength = core::limits::kName;

absl::Status ValidateDiaryPrefix(absl::string_view field, absl::string_view value) {
  if (value.empty() || core::IsDiaryPrefix(value)) return absl::OkStatus();
  return Invalid(field, absl::StrCat("must be 1-", core::limits::kDiaryPrefixLetters,
                                     " letters A-Z, Å, Ä, Ö in either case (got \"", value,
                                     "\")"));
}

absl::Status ValidateOrganizationKind(absl::string_view field, OrganizationKind kind) {
  if (kind == remiss::v1::ORGANIZATION_KIND_UNSPECIFIED) return Invalid(field, "is required");
  if (!remiss::v1::OrganizationKind_IsValid(kind)) {
    return Invalid(field, absl::StrCat("unknown kind ", static_cast<int>(kind)));
  }
  return absl::OkStatus();
}

template <typename Command>
absl::Status ValidateOrganizationDetails(const Command& cmd) {
  REMISS_RETURN_IF_ERROR(ValidateOrgId("org_id", cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("name", cmd.name(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(ValidateOrganizationKind("kind", cmd.kind()));
  return ValidateDiaryPrefix("diary_prefix", cmd.diary_prefix());
}

// What a functional mailbox's local part is made of. Not the whole of RFC 5322's atext: the
// address goes into mailto: links and to a mail server, where ?, &, =, %, / and # would add
// recipients, a subject or a body.
bool IsMailboxLocalChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '+' || c == '-';
}

}  // namespace

absl::Status ValidateOrgId(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "is required");
  bool ok = value.size() >= 2 && value.size() <= 64 && value.front() != '-' &&
            value.back() != '-';
  for (char c : value) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  }
  if (!ok) {
    return Invalid(field, absl::StrCat("must be 2-64 characters of a-z, 0-9 and '-', not "
                                       "starting or ending with '-', like \"bromma-sdn\" (got \"",
                                       value, "\")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRegistryMailbox(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  REMISS_RETURN_IF_ERROR(MaxLength(field, value, core::limits::kEmail));
  auto bad = [&](absl::string_view why) {
    return Invalid(field, absl::StrCat(why, ", like \"registrator.bromma@stockholm.se\" (got \"",
                                       value, "\")"));
  };
  const size_t at = value.find('@');
  if (at == absl::string_view::npos || value.find('@', at + 1) != absl::string_view::npos) {
    return bad("must be one e-mail address with exactly one '@'");
  }
  const absl::string_view local = value.substr(0, at);
  const absl::string_view domain = value.substr(at + 1);
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != absl::string_view::npos) {
    return bad("must have 1-64 characters before the '@', not starting or ending with '.' "
               "and without \"..\"");
  }
  for (char c : local) {
    if (!IsMailboxLocalChar(c)) {
      return bad("may hold only letters a-z, digits and . _ + - before the '@'");
    }
  }
  int labels = 0;
  for (absl::string_view label : absl::StrSplit(domain, '.')) {
    ++labels;
    bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-';
    for (char c : label) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-');
    }
    if (!ok) {
      return bad("must have after the '@' a domain of labels of letters a-z, digits and '-', "
                 "separated by single dots");
    }
  }
  if (labels < 2) return bad("must have a domain of two or more labels after the '@'");
  return absl::OkStatus();
}

// ---- organizations ----

absl::StatusOr<Events> Decide(const remiss::v1::RegisterOrganizationRequest& cmd,
                              const Organization* state) {
  REMISS_RETURN_IF_ERROR(ValidateOrganizationDetails(cmd));
  REMISS_RETURN_IF_ERROR(ValidateRegistryMailbox("registry_mailbox", cmd.registry_mailbox()));
  if (state != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("org_id: organization \"", cmd.org_id(), "\" is already registered"));
  }
  ReferralEvent event;
  auto* e = event.mutable_organization_registered();
  e->set_org_id(cmd.org_id());
  e->set_name(cmd.name());
  e->set_kind(cmd.kind());
  e->set_diary_prefix(cmd.diary_prefix());
  e->set_registry_mailbox(cmd.registry_mailbox());
  e->set_may_send_rounds(cmd.may_send_rounds());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::SetRegistryMailboxRequest& cmd,
                              const Organization* state) {
  REMISS_RETURN_IF_ERROR(ValidateOrgId("org_id", cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateRegistryMailbox("registry_mailbox", cmd.registry_mailbox()));
  if (state == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("org_id: no organization \"", cmd.org_id(), "\" is registered"));
  }
  if (state->registry_mailbox() == cmd.registry_mailbox()) return Events{};
  ReferralEvent event;
  auto* e = event.mutable_registry_mailbox_set();
  e->set_org_id(cmd.org_id());
  e->set_registry_mailbox(cmd.registry_mailbox());
  e->set_previous_registry_mailbox(state->registry_mailbox());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::UpdateOrganizationRequest& cmd,
                              const Organization* state) {
  REMISS_RETURN_IF_ERROR(ValidateOrganizationDetails(cmd));
  if (state == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("org_id: no organization \"", cmd.org_id(), "\" is registered"));
  }
  const bool may_send_rounds =
      cmd.has_may_send_rounds() ? cmd.may_send_rounds() : state->may_send_rounds();
  if (state->name() == cmd.name() && state->kind() == cmd.kind() &&
      state->diary_prefix() == cmd.diary_prefix() &&
      state->may_send_rounds() == may_send_rounds) {
    return Events{};
  }
  ReferralEvent event;
  auto* e = event.mutable_organization_updated();
  e->set_org_id(cmd.org_id());
  e->set_name(cmd.name());
  e->set_kind(cmd.kind());
  e->set_diary_prefix(cmd.diary_prefix());
  e->set_may_send_rounds(may_send_rounds);
  return One(std::move(event));
}

void Evolve(Organization& state, const ReferralEvent& event) {
  switch (event.event_case()) {
    case ReferralEvent::kOrganizationRegistered: {
      const auto& e = event.organization_registered();
      state.set_org_id(e.org_id());
      state.set_name(e.name());
      state.set_kind(e.kind());
      state.set_diary_prefix(e.diary_prefix());
      state.set_registry_mailbox(e.registry_mailbox());
      state.set_may_send_rounds(e.has_may_send_rounds()
                                    ? e.may_send_rounds()
                                    : e.kind() == remiss::v1::ORGANIZATION_KIND_KOMMUNSTYRELSE);
      break;
    }
    case ReferralEvent::kRegistryMailboxSet:
      state.set_registry_mailbox(event.registry_mailbox_set().registry_mailbox());
      break;
    case ReferralEvent::kOrganizationUpdated: {
      const auto& e = event.organization_updated();
      state.set_org_id(e.org_id());
      state.set_name(e.name());
      state.set_kind(e.kind());
      state.set_diary_prefix(e.diary_prefix());
      state.set_may_send_rounds(e.has_may_send_rounds()
                                    ? e.may_send_rounds()
                                    : e.kind() == remiss::v1::ORGANIZATION_KIND_KOMMUNSTYRELSE);
      break;
    }
    default:
      break;
  }
  state.set_version(state.version() + 1);
}

bool MaySendRounds(const Organization* org) { return org != nullptr && org->may_send_rounds(); }

absl::Status CheckKsMaySendRounds(absl::string_view caller_org_id, const Organization* caller_org) {
  if (MaySendRounds(caller_org)) return absl::OkStatus();
  if (caller_org_id.empty()) {
    return absl::PermissionDeniedError(
        "role ks: acts only for an organization that may send rounds, and the caller names none");
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "role ks: organization \"", caller_org_id, "\" may not send rounds (",
      caller_org == nullptr ? "it is not registered; " : "",
      "register it with may_send_rounds, as the operator or a ks of an organization that may)"));
}

bool IsFirstSenderRegistration(const remiss::v1::RegisterOrganizationRequest& cmd,
                               absl::string_view caller_org_id, bool any_sender) {
  return !any_sender && !caller_org_id.empty() && cmd.org_id() == caller_org_id &&
         cmd.may_send_rounds();
}

}  // namespace remiss::referrals
