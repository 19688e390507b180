// Printing answers: protobuf JSON for scripts; for people, "key: value" records and aligned
// tables with Swedish dates.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <google/protobuf/message.h>

namespace remissctl {

std::string ToJson(const google::protobuf::Message& m);

// One field's value as a person reads it (enums without prefix, times in Stockholm).
std::string FieldText(const google::protobuf::Message& m, const std::string& path);

// A record, "key: value", nested records indented.
void PrintRecord(std::ostream& out, const google::protobuf::Message& m, int indent = 0);

// "ok: referral ks-2019-1939, version 3 (events 5-7)".
void PrintCommandResult(std::ostream& out, const google::protobuf::Message& m);

// An aligned table; columns are "path" or "path=HEADER".
void PrintTable(std::ostream& out, const std::vector<const google::protobuf::Message*>& rows,
                const std::vector<std::string>& columns);

// An aligned table of ready text (first row: headers).
void PrintTextTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

}  // namespace remissctl
