#include "tools/remissctl/request_builder.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tools/remissctl/errors.h"
#include "tools/remissctl/swedish_time.h"

namespace remissctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string Normalize(std::string name) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"-", "_"}});
}

// "ReferralStatus" -> "REFERRAL_STATUS_"
std::string EnumPrefix(const EnumDescriptor* e) {
  std::string out;
  for (char c : e->name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out + "_";
}

const FieldDescriptor* FindField(const Descriptor* d, const std::string& name) {
  std::string n = Normalize(name);
  if (const FieldDescriptor* f = d->FindFieldByName(n)) return f;
  for (int i = 0; i < d->field_count(); ++i) {
    if (Normalize(d->field(i)->json_name()) == n) return d->field(i);
  }
  return nullptr;
}

std::string Known(const Descriptor* d) {
  std::string out;
  for (int i = 0; i < d->field_count(); ++i) {
    absl::StrAppend(&out, i ? ", " : "", absl::StrReplaceAll(d->field(i)->name(), {{"_", "-"}}));
  }
  return out;
}

const google::protobuf::EnumValueDescriptor* ParseEnum(const EnumDescriptor* e,
                                                       const std::string& text) {
  std::string up = absl::AsciiStrToUpper(
      absl::StrReplaceAll(text, {{"-", "_"}, {" ", "_"}}));
  if (auto* v = e->FindValueByName(up)) return v;
  if (auto* v = e->FindValueByName(EnumPrefix(e) + up)) return v;
  int number;
  if (absl::SimpleAtoi(text, &number)) return e->FindValueByNumber(number);
  return nullptr;
}

[[noreturn]] void Bad(const FieldDescriptor* f, const std::string& value, const std::string& want) {
  throw UsageError(absl::StrCat("--", absl::StrReplaceAll(f->name(), {{"_", "-"}}), ": \"", value,
                                "\" is not ", want));
}

void SetLeaf(Message* msg, const FieldDescriptor* f, const std::string& value) {
  const Reflection* r = msg->GetReflection();
  bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      rep ? r->AddString(msg, f, value) : r->SetString(msg, f, value);
      return;
    case FieldDescriptor::CPPTYPE_BOOL: {
      std::string v = absl::AsciiStrToLower(value);
      bool b;
      if (v == "true" || v == "yes" || v == "1" || v == "ja") b = true;
      else if (v == "false" || v == "no" || v == "0" || v == "nej") b = false;
      else Bad(f, value, "true or false");
      rep ? r->AddBool(msg, f, b) : r->SetBool(msg, f, b);
      return;
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t n;
      if (!absl::SimpleAtoi(value, &n)) Bad(f, value, "a whole number");
      rep ? r->AddInt32(msg, f, n) : r->SetInt32(msg, f, n);
      return;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t n;
      if (!absl::SimpleAtoi(value, &n)) Bad(f, value, "a whole number");
      rep ? r->AddInt64(msg, f, n) : r->SetInt64(msg, f, n);
      return;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t n;
      if (!absl::SimpleAtoi(value, &n)) Bad(f, value, "a whole number (0 or more)");
      rep ? r->AddUInt32(msg, f, n) : r->SetUInt32(msg, f, n);
      return;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t n;
      if (!absl::SimpleAtoi(value, &n)) Bad(f, value, "a whole number (0 or more)");
      rep ? r->AddUInt64(msg, f, n) : r->SetUInt64(msg, f, n);
      return;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double n;
      if (!absl::SimpleAtod(value, &n)) Bad(f, value, "a number");
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        rep ? r->AddDouble(msg, f, n) : r->SetDouble(msg, f, n);
      } else {
        rep ? r->AddFloat(msg, f, static_cast<float>(n)) : r->SetFloat(msg, f, static_cast<float>(n));
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      auto* v = ParseEnum(f->enum_type(), value);
      if (!v) {
        std::string names;
        for (int i = 1; i < f->enum_type()->value_count(); ++i) {
          absl::StrAppend(&names, i > 1 ? ", " : "", ShortEnumName(f->enum_type()->value(i)));
        }
        Bad(f, value, absl::StrCat("one of: ", names));
      }
      rep ? r->AddEnum(msg, f, v) : r->SetEnum(msg, f, v);
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub = rep ? r->AddMessage(msg, f) : r->MutableMessage(msg, f);
      const std::string& type = f->message_type()->full_name();
      if (type == "google.protobuf.Timestamp") {
        auto ts = ParseInstant(value);
        if (!ts) Bad(f, value, "a time like 2021-02-26 16:00 or 2021-02-26T16:00:00+01:00");
        sub->CopyFrom(*ts);
        return;
      }
      if (type == "google.protobuf.Duration") {
        auto d = ParseDurationText(value);
        if (!d) Bad(f, value, "a duration like 1d, 2h30m or 86400s");
        sub->CopyFrom(*d);
        return;
      }
      // A whole sub-message as JSON: --statement '{"summary": "..."}'
      google::protobuf::util::JsonParseOptions opts;
      auto st = google::protobuf::util::JsonStringToMessage(value, sub, opts);
      if (!st.ok()) Bad(f, value, absl::StrCat("a JSON object for ", type, " (", std::string(st.message()), ")"));
      return;
    }
  }
}

// Whether a non-repeated field of `m` already holds a value (for starting a new element).
bool LeafSet(const Message& m, const std::vector<std::string>& rest) {
  const Descriptor* d = m.GetDescriptor();
  const FieldDescriptor* f = FindField(d, rest[0]);
  if (!f || f->is_repeated()) return false;
  const Reflection* r = m.GetReflection();
  if (!r->HasField(m, f)) return false;
  if (rest.size() == 1) return true;
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  return LeafSet(r->GetMessage(m, f), {rest.begin() + 1, rest.end()});
}

void SetPath(Message* msg, const std::vector<std::string>& parts, size_t i, const std::string& value,
             const std::string& whole) {
  const Descriptor* d = msg->GetDescriptor();
  const FieldDescriptor* f = FindField(d, parts[i]);
  if (!f) {
    throw UsageError(absl::StrCat("--", whole, ": ", d->name(), " has no field \"", parts[i],
                                  "\"; its fields are: ", Known(d)));
  }
  if (i + 1 == parts.size()) {
    SetLeaf(msg, f, value);
    return;
  }
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_map()) {
    throw UsageError(absl::StrCat("--", whole, ": ", parts[i], " has no fields inside it"));
  }
  const Reflection* r = msg->GetReflection();
  Message* sub;
  if (f->is_repeated()) {
    // Fill the last element; start a new one when this leaf is already set in it.
    std::vector<std::string> rest(parts.begin() + i + 1, parts.end());
    int n = r->FieldSize(*msg, f);
    if (n == 0 || LeafSet(r->GetRepeatedMessage(*msg, f, n - 1), rest)) {
      sub = r->AddMessage(msg, f);
    } else {
      sub = r->MutableRepeatedMessage(msg, f, n - 1);
    }
  } else {
    sub = r->MutableMessage(msg, f);
  }
  SetPath(sub, parts, i + 1, value, whole);
}

void CollectFlags(const Descriptor* d, const std::string& prefix, int depth,
                  std::vector<std::pair<std::string, std::string>>* out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    std::string name = prefix + absl::StrReplaceAll(f->name(), {{"_", "-"}});
    std::string hint;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: hint = "text"; break;
      case FieldDescriptor::CPPTYPE_BOOL: hint = "true|false"; break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        for (int j = 1; j < f->enum_type()->value_count(); ++j) {
          absl::StrAppend(&hint, j > 1 ? "|" : "", ShortEnumName(f->enum_type()->value(j)));
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const std::string& t = f->message_type()->full_name();
        if (t == "google.protobuf.Timestamp") hint = "time";
        else if (t == "google.protobuf.Duration") hint = "duration";
        else if (f->is_map()) hint = "map (use --file)";
        else if (depth >= 2) hint = "JSON";
        else {
          CollectFlags(f->message_type(), name + ".", depth + 1, out);
          continue;
        }
        break;
      }
      default: hint = "number"; break;
    }
    if (f->is_repeated()) hint += ", repeatable";
    out->emplace_back(name, hint);
  }
}

}  // namespace

std::string ShortEnumName(const google::protobuf::EnumValueDescriptor* v) {
  std::string name = v->name();
  std::string prefix = EnumPrefix(v->type());
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", "-"}});
}

void MergeJsonFile(const std::string& path, Message* msg) {
  std::ifstream in(path);
  if (!in) throw UsageError(absl::StrCat("cannot read the request file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  Message* tmp = msg->New();
  google::protobuf::util::JsonParseOptions opts;
  auto st = google::protobuf::util::JsonStringToMessage(ss.str(), tmp, opts);
  if (!st.ok()) {
    delete tmp;
    throw UsageError(absl::StrCat(path, " is not a ", msg->GetDescriptor()->full_name(),
                                  " in protobuf JSON: ", std::string(st.message())));
  }
  msg->MergeFrom(*tmp);
  delete tmp;
}

void SetField(Message* msg, const std::string& path, const std::string& value) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  SetPath(msg, parts, 0, value, path);
}

bool IsBoolField(const Descriptor* d, const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = FindField(d, parts[i]);
    if (!f) return false;
    if (i + 1 == parts.size()) return f->cpp_type() == FieldDescriptor::CPPTYPE_BOOL;
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return false;
    d = f->message_type();
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> FieldFlags(const Descriptor* d) {
  std::vector<std::pair<std::string, std::string>> out;
  CollectFlags(d, "", 0, &out);
  return out;
}

}  // namespace remissctl
