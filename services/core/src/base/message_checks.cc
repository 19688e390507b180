#include "remiss/core/base/message_checks.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "remiss/core/base/limits.h"
#include "remiss/v1/options.pb.h"

namespace remiss::core {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Decodes the UTF-8 sequence at s[i]: the code point and its length, or -1 when it is not
// well-formed (overlong forms, surrogates and values past U+10FFFF included).
struct CodePoint {
  int32_t value;
  size_t length;
};
CodePoint Decode(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return {c, 1};
  size_t n;
  int32_t v;
  int32_t min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return {-1, 1};
  }
  if (i + n > s.size()) return {-1, 1};
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {-1, 1};
    v = (v << 6) | (byte(i + k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return {-1, 1};
  return {v, n};
}

bool IsControl(int32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they make text read
// differently from what it says ("Trojan Source").
bool IsBidiControl(int32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

bool NeedsEscape(int32_t cp) { return cp < 0 || IsControl(cp) || IsBidiControl(cp); }

std::string EscapeCodePoint(absl::string_view s, size_t i, CodePoint c) {
  if (c.value < 0) return absl::StrFormat("\\x%02x", static_cast<unsigned char>(s[i]));
  switch (c.value) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: break;
  }
  if (c.value < 0x100) return absl::StrFormat("\\x%02x", c.value);
  return absl::StrFormat("\\u%04x", c.value);
}

absl::Status Refuse(absl::string_view field, absl::string_view why, absl::string_view value) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why, " (got ", Quote(value), ")"));
}

std::string Path(absl::string_view prefix, const FieldDescriptor* f) {
  return prefix.empty() ? std::string(f->name()) : absl::StrCat(prefix, ".", f->name());
}

absl::Status CheckMessage(const Message& m, absl::string_view prefix) {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string path = Path(prefix, f);
    if (f->is_repeated()) {
      const int n = r->FieldSize(m, f);
      if (n > limits::kRepeatedItems) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": at most ", limits::kRepeatedItems, " items (got ", n, ")"));
      }
      for (int i = 0; i < n; ++i) {
        const std::string item = absl::StrCat(path, "[", i, "]");
        if (f->type() == FieldDescriptor::TYPE_STRING) {
          const bool multiline = f->options().GetExtension(remiss::v1::long_text);
          std::string scratch;
          absl::Status s = CheckText(item, r->GetRepeatedStringReference(m, f, i, &scratch), multiline);
          if (!s.ok()) return s;
        } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          absl::Status s = CheckMessage(r->GetRepeatedMessage(m, f, i), item);
          if (!s.ok()) return s;
        }
      }
      continue;
    }
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      const bool multiline = f->options().GetExtension(remiss::v1::long_text);
      std::string scratch;
      absl::Status s = CheckText(path, r->GetStringReference(m, f, &scratch), multiline);
      if (!s.ok()) return s;
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      absl::Status s = CheckMessage(r->GetMessage(m, f), path);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

void FindLargest(const Message& m, absl::string_view prefix, FieldSize& best) {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  std::string scratch;
  for (const FieldDescriptor* f : fields) {
    const std::string path = Path(prefix, f);
    const bool text = f->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
    const bool nested = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        const std::string item = absl::StrCat(path, "[", i, "]");
        if (text) {
          size_t n = r->GetRepeatedStringReference(m, f, i, &scratch).size();
          if (n > best.bytes) best = {item, n};
        } else if (nested) {
          FindLargest(r->GetRepeatedMessage(m, f, i), item, best);
        }
      }
    } else if (text) {
      size_t n = r->GetStringReference(m, f, &scratch).size();
      if (n > best.bytes) best = {path, n};
    } else if (nested) {
      FindLargest(r->GetMessage(m, f), path, best);
    }
  }
}

}  // namespace

absl::Status CheckRequest(const Message& request) { return CheckMessage(request, ""); }

absl::Status CheckText(absl::string_view field, absl::string_view value, bool multiline) {
  for (size_t i = 0; i < value.size();) {
    const CodePoint c = Decode(value, i);
    if (c.value < 0) return Refuse(field, "must be valid UTF-8", value);
    if (IsControl(c.value) && !(multiline && (c.value == '\n' || c.value == '\t'))) {
      return Refuse(field,
                    multiline ? "must not contain control characters (only line breaks and tabs)"
                              : "must be one line without control characters",
                    value);
    }
    if (IsBidiControl(c.value)) {
      return Refuse(field, "must not contain bidirectional override or isolate characters", value);
    }
    i += c.length;
  }
  return absl::OkStatus();
}

std::string Quote(absl::string_view value, size_t max_chars) {
  std::string out = "\"";
  size_t chars = 0;
  for (size_t i = 0; i < value.size(); ++chars) {
    if (chars == max_chars) {
      absl::StrAppend(&out, "…");
      break;
    }
    const CodePoint c = Decode(value, i);
    if (NeedsEscape(c.value)) {
      absl::StrAppend(&out, EscapeCodePoint(value, i, c));
    } else if (c.value == '"' || c.value == '\\') {
      absl::StrAppend(&out, "\\", value.substr(i, 1));
    } else {
      absl::StrAppend(&out, value.substr(i, c.length));
    }
    i += c.length;
  }
  return out + "\"";
}

std::string EscapeUnsafe(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const CodePoint c = Decode(text, i);
    if (NeedsEscape(c.value)) {
      absl::StrAppend(&out, EscapeCodePoint(text, i, c));
    } else {
      absl::StrAppend(&out, text.substr(i, c.length));
    }
    i += c.length;
  }
  return out;
}

FieldSize LargestField(const Message& message) {
  FieldSize best;
  FindLargest(message, "", best);
  return best;
}

}  // namespace remiss::core
