// Builds a request message from positional arguments, `--field value` flags (nested with
// dots, repeated by repeating the flag, enums by name with or without their prefix) and
// `--file request.json` (protobuf JSON).
#pragma once

#include <string>
#include <vector>

#include <google/protobuf/message.h>

namespace remissctl {

// Merges protobuf JSON (file contents) into `msg`; throws UsageError naming the file.
void MergeJsonFile(const std::string& path, google::protobuf::Message* msg);

// Sets the field at `path` ("statement.standpoint", "case-number") from text.
// Throws UsageError with a sentence when the field does not exist or the value does not fit.
void SetField(google::protobuf::Message* msg, const std::string& path, const std::string& value);

// Whether `path` names a bool field (a flag that may stand without a value).
bool IsBoolField(const google::protobuf::Descriptor* d, const std::string& path);

// Every settable field of a message, as flag paths with a type hint, for --help.
std::vector<std::pair<std::string, std::string>> FieldFlags(const google::protobuf::Descriptor* d);

// Enum value names as a person writes them: ORGANIZATION_KIND_STADSDELSNAMND -> stadsdelsnamnd.
std::string ShortEnumName(const google::protobuf::EnumValueDescriptor* v);

}  // namespace remissctl
