// Distribution lists: decide and evolve (distribution_lists.h). Checks in the domain's order:
// the command's own fields, the list's existence, then what the command refers to.
#include "remiss/referrals/distribution_lists.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/limits.h"
#include "remiss/core/base/validation.h"

namespace remiss::referrals {
namespace {

using remiss::v1::DistributionList;
using remiss::v1::ReferralEvent;
using google::protobuf::RepeatedPtrField;

constexpr int kMaxMembers = core::limits::kAddresseesPerRound;

std::string Indexed(absl::string_view field, int i) { return absl::StrCat(field, "[", i, "]"); }

absl::Status RequireRegistered(const DecisionContext& ctx, absl::string_view field,
                               absl::string_view org_id) {
  if (!ctx.organization_registered) {
    return absl::InternalError("the decision context has no organization_registered lookup");
  }
  if (!ctx.organization_registered(org_id)) {
    return absl::NotFoundError(
        absl::StrCat(field, ": no organization \"", org_id, "\" is registered"));
  }
  return absl::OkStatus();
}

// Each id a valid org id, none twice in the field.
absl::Status ValidateOrgIds(absl::string_view field, const RepeatedPtrField<std::string>& ids) {
  if (ids.size() > kMaxMembers) {
    return core::Invalid(field, absl::StrCat("at most ", kMaxMembers, " organizations (got ",
                                             ids.size(), ")"));
  }
  std::set<absl::string_view> seen;
  for (int i = 0; i < ids.size(); ++i) {
    REMISS_RETURN_IF_ERROR(ValidateOrgId(Indexed(field, i), ids[i]));
    if (!seen.insert(ids[i]).second) {
      return core::Invalid(Indexed(field, i), absl::StrCat("\"", ids[i], "\" is named twice"));
    }
  }
  return absl::OkStatus();
}

// No id both in `add` and in `remove` (named after `remove_field`).
absl::Status Disjoint(const RepeatedPtrField<std::string>& add, absl::string_view add_field,
                      const RepeatedPtrField<std::string>& remove, absl::string_view remove_field) {
  const std::set<std::string> added(add.begin(), add.end());
  for (int i = 0; i < remove.size(); ++i) {
    if (added.count(remove[i]) != 0) {
      return core::Invalid(Indexed(remove_field, i),
                           absl::StrCat("\"", remove[i], "\" is also in ", add_field));
    }
  }
  return absl::OkStatus();
}

// A list's name: required, one line, at most a name's length, and one that gives an id.
absl::Status ValidateListName(absl::string_view field, absl::string_view name) {
  return core::RequiredText(field, name, core::limits::kName);
}

}  // namespace

std::string ListIdForName(absl::string_view in) {
  std::string out;
  bool pending_dash = false;
  auto emit = [&](char c) {
    if (pending_dash && !out.empty()) out.push_back('-');
    pending_dash = false;
    out.push_back(c);
  };
  for (size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c >= 'A' && c <= 'Z') {
      emit(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      emit(static_cast<char>(c));
    } else if (c == 0xC3 && i + 1 < in.size()) {
      // Latin-1 supplement letters, UTF-8 "\xC3\x80".."\xC3\xBF".
      const unsigned char d = static_cast<unsigned char>(in[i + 1]) | 0x20;  // lower case
      char plain = 0;
      if (d >= 0xA0 && d <= 0xA6) plain = 'a';        // à á â ã ä å æ
      else if (d == 0xA7) plain = 'c';                 // ç
      else if (d >= 0xA8 && d <= 0xAB) plain = 'e';    // è é ê ë
      else if (d >= 0xAC && d <= 0xAF) plain = 'i';    // ì í î ï
      else if (d == 0xB1) plain = 'n';                 // ñ
      else if ((d >= 0xB2 && d <= 0xB6) || d == 0xB8) plain = 'o';  // ò ó ô õ ö ø
      else if (d >= 0xB9 && d <= 0xBC) plain = 'u';    // ù ú û ü
      else if (d == 0xBD) plain = 'y';                 // ý
      if (plain != 0) {
        emit(plain);
        ++i;
      } else {
        pending_dash = true;
      }
    } else {
      pending_dash = true;
    }
  }
  if (out.size() > 64) out.resize(64);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

absl::Status ValidateListId(absl::string_view field, absl::string_view value) {
  if (value.empty()) return core::Invalid(field, "is required");
  bool ok = value.size() >= 2 && value.size() <= 64 && value.front() != '-' &&
            value.back() != '-';
  for (char c : value) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) {
    return core::Invalid(field, absl::StrCat("must be 2-64 characters of a-z, 0-9 and '-', not "
                                             "starting or ending with '-', like "
                                             "\"samtliga-stadsdelsnamnder\" (got \"",
                                             value, "\")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Events> Decide(const remiss::v1::CreateDistributionListRequest& cmd,
                              const DistributionList* state, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(ValidateListName("name", cmd.name()));
  std::string list_id = cmd.list_id();
  if (list_id.empty()) {
    list_id = ListIdForName(cmd.name());
    if (list_id.size() < 2) {
      return core::Invalid("list_id", absl::StrCat("the name \"", cmd.name(),
                                                   "\" gives no id of 2 or more letters or "
                                                   "digits; give a list_id"));
    }
  } else {
    REMISS_RETURN_IF_ERROR(ValidateListId("list_id", list_id));
  }
  REMISS_RETURN_IF_ERROR(ValidateOrgIds("member_org_ids", cmd.member_org_ids()));

  if (state != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("list_id: a distribution list \"", list_id,
                                                 "\" (\"", state->name(), "\") already exists"));
  }
  for (int i = 0; i < cmd.member_org_ids_size(); ++i) {
    REMISS_RETURN_IF_ERROR(RequireRegistered(ctx, Indexed("member_org_ids", i),
                                             cmd.member_org_ids(i)));
  }

  ReferralEvent event;
  auto* e = event.mutable_distribution_list_created();
  e->set_list_id(list_id);
  e->set_name(cmd.name());
  std::set<std::string> members(cmd.member_org_ids().begin(), cmd.member_org_ids().end());
  for (const std::string& m : members) e->add_member_org_ids(m);
  Events events;
  events.push_back(std::move(event));
  return events;
}

absl::StatusOr<Events> Decide(const remiss::v1::ChangeDistributionListRequest& cmd,
                              const DistributionList* state, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(ValidateListId("list_id", cmd.list_id()));
  if (!cmd.name().empty()) REMISS_RETURN_IF_ERROR(ValidateListName("name", cmd.name()));
  REMISS_RETURN_IF_ERROR(ValidateOrgIds("add_org_ids", cmd.add_org_ids()));
  REMISS_RETURN_IF_ERROR(ValidateOrgIds("remove_org_ids", cmd.remove_org_ids()));
  REMISS_RETURN_IF_ERROR(
      Disjoint(cmd.add_org_ids(), "add_org_ids", cmd.remove_org_ids(), "remove_org_ids"));

  if (state == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("list_id: no distribution list \"", cmd.list_id(), "\" exists"));
  }
  std::set<std::string> members(state->member_org_ids().begin(), state->member_org_ids().end());
  std::vector<std::string> added, removed;
  for (int i = 0; i < cmd.add_org_ids_size(); ++i) {
    REMISS_RETURN_IF_ERROR(RequireRegistered(ctx, Indexed("add_org_ids", i), cmd.add_org_ids(i)));
    if (members.insert(cmd.add_org_ids(i)).second) added.push_back(cmd.add_org_ids(i));
  }
  for (int i = 0; i < cmd.remove_org_ids_size(); ++i) {
    if (members.erase(cmd.remove_org_ids(i)) == 0) {
      return absl::NotFoundError(absl::StrCat(Indexed("remove_org_ids", i), ": \"",
                                              cmd.remove_org_ids(i),
                                              "\" is not a member of the list"));
    }
    removed.push_back(cmd.remove_org_ids(i));
  }
  if (static_cast<int>(members.size()) > kMaxMembers) {
    return core::Invalid("add_org_ids", absl::StrCat("a list has at most ", kMaxMembers,
                                                     " members; this would have ",
                                                     members.size()));
  }
  const std::string name = cmd.name().empty() ? state->name() : cmd.name();
  if (name == state->name() && added.empty() && removed.empty()) return Events{};

  std::sort(added.begin(), added.end());
  std::sort(removed.begin(), removed.end());
  ReferralEvent event;
  auto* e = event.mutable_distribution_list_changed();
  e->set_list_id(cmd.list_id());
  e->set_name(name);
  for (const std::string& m : members) e->add_member_org_ids(m);
  e->set_previous_name(state->name());
  for (const std::string& m : added) e->add_added_org_ids(m);
  for (const std::string& m : removed) e->add_removed_org_ids(m);
  Events events;
  events.push_back(std::move(event));
  return events;
}

void Evolve(DistributionList& state, const ReferralEvent& event) {
  switch (event.event_case()) {
    case ReferralEvent::kDistributionListCreated: {
      const auto& e = event.distribution_list_created();
      state.set_list_id(e.list_id());
      state.set_name(e.name());
      *state.mutable_member_org_ids() = e.member_org_ids();
      break;
    }
    case ReferralEvent::kDistributionListChanged: {
      const auto& e = event.distribution_list_changed();
      state.set_list_id(e.list_id());
      state.set_name(e.name());
      *state.mutable_member_org_ids() = e.member_org_ids();
      break;
    }
    default:
      break;
  }
  state.set_version(state.version() + 1);
}

absl::Status ValidateAddressingFields(const RepeatedPtrField<std::string>& list_ids,
                                      const RepeatedPtrField<std::string>& add_org_ids,
                                      const RepeatedPtrField<std::string>& remove_org_ids) {
  if (list_ids.size() > core::limits::kRepeatedItems) {
    return core::Invalid("distribution_list_ids",
                         absl::StrCat("at most ", core::limits::kRepeatedItems, " lists"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < list_ids.size(); ++i) {
    const std::string field = Indexed("distribution_list_ids", i);
    REMISS_RETURN_IF_ERROR(core::Required(field, list_ids[i]));
    const std::string id = ListIdForName(list_ids[i]);
    if (id.size() < 2) {
      return core::Invalid(field, absl::StrCat("\"", list_ids[i], "\" names no list"));
    }
    if (!seen.insert(id).second) {
      return core::Invalid(field, absl::StrCat("the list \"", id, "\" is named twice"));
    }
  }
  REMISS_RETURN_IF_ERROR(ValidateOrgIds("add_org_ids", add_org_ids));
  REMISS_RETURN_IF_ERROR(ValidateOrgIds("remove_org_ids", remove_org_ids));
  return Disjoint(add_org_ids, "add_org_ids", remove_org_ids, "remove_org_ids");
}

absl::StatusOr<Addressing> ResolveAddressing(const RepeatedPtrField<std::string>& list_ids,
                                             const RepeatedPtrField<std::string>& add_org_ids,
                                             const RepeatedPtrField<std::string>& remove_org_ids,
                                             const DecisionContext& ctx) {
  if (!list_ids.empty() && !ctx.distribution_list) {
    return absl::InternalError("the decision context has no distribution_list lookup");
  }
  Addressing out;
  for (int i = 0; i < list_ids.size(); ++i) {
    const std::string id = ListIdForName(list_ids[i]);
    std::optional<DistributionList> list = ctx.distribution_list(id);
    if (!list) {
      return absl::NotFoundError(absl::StrCat(Indexed("distribution_list_ids", i),
                                              ": no distribution list \"", list_ids[i],
                                              "\" exists"));
    }
    out.lists.push_back(id);
    for (const std::string& m : list->member_org_ids()) out.add[m].push_back(id);
  }
  for (int i = 0; i < add_org_ids.size(); ++i) {
    REMISS_RETURN_IF_ERROR(RequireRegistered(ctx, Indexed("add_org_ids", i), add_org_ids[i]));
    out.add[add_org_ids[i]];  // a single: no list named it (unless one did as well)
  }
  for (int i = 0; i < remove_org_ids.size(); ++i) {
    REMISS_RETURN_IF_ERROR(
        RequireRegistered(ctx, Indexed("remove_org_ids", i), remove_org_ids[i]));
    out.add.erase(remove_org_ids[i]);
    out.remove.push_back(remove_org_ids[i]);
  }
  return out;
}

}  // namespace remiss::referrals
