#include "tools/remissctl/render.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "remiss/v1/referrals_events.pb.h"
#include "tools/remissctl/request_builder.h"
#include "tools/remissctl/swedish_time.h"

namespace remissctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

size_t Width(const std::string& s) {  // UTF-8 code points
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Label(const std::string& field) { return absl::StrReplaceAll(field, {{"_", " "}}); }

// An organization's kind as a Swedish reader says it ("stadsdelsnämnd", "departement",
// "förening"); on the command line the ASCII name is typed (--kind forening).
std::string OrganizationKindWords(int kind) {
  switch (kind) {
    case remiss::v1::ORGANIZATION_KIND_STADSDELSNAMND: return "stadsdelsnämnd";
    case remiss::v1::ORGANIZATION_KIND_FACKNAMND: return "facknämnd";
    case remiss::v1::ORGANIZATION_KIND_BOLAGSSTYRELSE: return "bolagsstyrelse";
    case remiss::v1::ORGANIZATION_KIND_RAD: return "råd";
    case remiss::v1::ORGANIZATION_KIND_EXTERN: return "extern";
    case remiss::v1::ORGANIZATION_KIND_KOMMUNSTYRELSE: return "kommunstyrelse";
    case remiss::v1::ORGANIZATION_KIND_DEPARTEMENT: return "departement";
    case remiss::v1::ORGANIZATION_KIND_REGION: return "region";
    case remiss::v1::ORGANIZATION_KIND_MYNDIGHET: return "myndighet";
    case remiss::v1::ORGANIZATION_KIND_BOLAG: return "bolag";
    case remiss::v1::ORGANIZATION_KIND_FORENING: return "förening";
    case remiss::v1::ORGANIZATION_KIND_OVRIG: return "övrig";
    default: return "";
  }
}

std::string ScalarText(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "yes" : "no";
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_ENUM: {
      auto* v = rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f);
      if (v->number() == 0) return "";
      if (f->enum_type() == remiss::v1::OrganizationKind_descriptor()) {
        std::string words = OrganizationKindWords(v->number());
        if (!words.empty()) return words;
      }
      return absl::StrReplaceAll(ShortEnumName(v), {{"-", " "}});
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub = rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
      if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
        google::protobuf::Timestamp ts;
        ts.CopyFrom(sub);
        return SwedishDateTime(ts);
      }
      if (f->message_type()->full_name() == "google.protobuf.Duration") {
        return absl::StrCat(sub.GetReflection()->GetInt64(sub, sub.GetDescriptor()->field(0)), "s");
      }
      return sub.ShortDebugString();
    }
  }
  return "";
}

bool IsLeafMessage(const FieldDescriptor* f) {
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const std::string& t = f->message_type()->full_name();
  return t == "google.protobuf.Timestamp" || t == "google.protobuf.Duration";
}

void PrintText(std::ostream& out, const std::string& pad, const std::string& key,
               const std::string& value) {
  if (value.find('\n') == std::string::npos) {
    out << pad << key << ": " << value << "\n";
    return;
  }
  out << pad << key << ":\n";
  for (absl::string_view line : absl::StrSplit(value, '\n')) out << pad << "  " << line << "\n";
}

}  // namespace

std::string ToJson(const Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::string FieldText(const Message& m, const std::string& path) {
  const Message* cur = &m;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = cur->GetDescriptor()->FindFieldByName(parts[i]);
    if (!f) return "";
    const Reflection* r = cur->GetReflection();
    if (f->is_repeated()) {
      std::vector<std::string> items;
      std::string rest = absl::StrJoin(parts.begin() + i + 1, parts.end(), ".");
      for (int k = 0; k < r->FieldSize(*cur, f); ++k) {
        items.push_back(rest.empty() || IsLeafMessage(f)
                            ? ScalarText(*cur, f, k)
                            : FieldText(r->GetRepeatedMessage(*cur, f, k), rest));
      }
      return absl::StrJoin(items, ", ");
    }
    if (i + 1 == parts.size() || IsLeafMessage(f)) return ScalarText(*cur, f, -1);
    cur = &r->GetMessage(*cur, f);
  }
  return "";
}

void PrintRecord(std::ostream& out, const Message& m, int indent) {
  std::string pad(indent, ' ');
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    std::string key = Label(f->name());
    if (f->is_map()) {
      out << pad << key << ":\n";
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        const Message& entry = r->GetRepeatedMessage(m, f, k);
        const FieldDescriptor* vf = entry.GetDescriptor()->field(1);
        std::string k_text = ScalarText(entry, entry.GetDescriptor()->field(0), -1);
        if (IsLeafMessage(vf)) {
          PrintText(out, pad + "  ", k_text, ScalarText(entry, vf, -1));
        } else {
          out << pad << "  " << k_text << ":\n";
          PrintRecord(out, entry.GetReflection()->GetMessage(entry, vf), indent + 4);
        }
      }
    } else if (!IsLeafMessage(f)) {
      if (f->is_repeated()) {
        out << pad << key << ":\n";
        for (int k = 0; k < r->FieldSize(m, f); ++k) {
          out << pad << "  - " << k + 1 << "\n";
          PrintRecord(out, r->GetRepeatedMessage(m, f, k), indent + 4);
        }
      } else {
        out << pad << key << ":\n";
        PrintRecord(out, r->GetMessage(m, f), indent + 2);
      }
    } else if (f->is_repeated()) {
      bool longs = false;
      for (int k = 0; k < r->FieldSize(m, f); ++k) longs |= ScalarText(m, f, k).size() > 60;
      if (longs) {
        out << pad << key << ":\n";
        for (int k = 0; k < r->FieldSize(m, f); ++k) PrintText(out, pad + "  ", "-", ScalarText(m, f, k));
      } else {
        out << pad << key << ": " << FieldText(m, f->name()) << "\n";
      }
    } else {
      PrintText(out, pad, key, ScalarText(m, f, -1));
    }
  }
}

void PrintCommandResult(std::ostream& out, const Message& m) {
  std::string id = FieldText(m, "id");
  std::string version = FieldText(m, "stream_version");
  std::string first = FieldText(m, "first_position"), last = FieldText(m, "last_position");
  out << "ok: " << (id.empty() ? FieldText(m, "stream_id") : id) << " at version " << version;
  if (FieldText(m, "repeated") == "yes") {
    out << " (repeated: this command_id was done before; its first result, nothing new recorded)\n";
  } else if (first == "0" && last == "0") {
    out << " (nothing new recorded)\n";
  } else if (first == last) {
    out << " (event " << first << ")\n";
  } else {
    out << " (events " << first << "-" << last << ")\n";
  }
}

void PrintTextTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - Width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

void PrintTable(std::ostream& out, const std::vector<const Message*>& rows,
                const std::vector<std::string>& columns) {
  std::vector<std::vector<std::string>> text;
  std::vector<std::string> header, paths;
  for (const std::string& c : columns) {
    size_t eq = c.find('=');
    std::string path = c.substr(0, eq);
    paths.push_back(path);
    header.push_back(eq == std::string::npos
                         ? absl::AsciiStrToUpper(Label(path.substr(path.rfind('.') + 1)))
                         : c.substr(eq + 1));
  }
  text.push_back(header);
  for (const Message* m : rows) {
    std::vector<std::string> row;
    for (const std::string& p : paths) row.push_back(FieldText(*m, p));
    text.push_back(row);
  }
  PrintTextTable(out, text);
  if (rows.empty()) out << "(none)\n";
}

}  // namespace remissctl
