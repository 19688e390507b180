// The "then" helpers shared by the domain tests: a command's events compared with the wanted
// ones, or its refusal checked by status code and the field its message starts with.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace remiss::testing {

inline bool SameProto(const google::protobuf::Message& a, const google::protobuf::Message& b,
                      std::string* diff) {
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(diff);
  return differencer.Compare(a, b);
}

inline ::testing::AssertionResult ProtoIs(const google::protobuf::Message& got,
                                          const google::protobuf::Message& want) {
  std::string diff;
  if (!SameProto(got, want, &diff)) {
    return ::testing::AssertionFailure() << "differs:\n" << diff;
  }
  return ::testing::AssertionSuccess();
}

// Then: exactly `want`.
template <typename Event>
::testing::AssertionResult EventsAre(const std::vector<Event>& got,
                                     const std::vector<Event>& want) {
  if (got.size() != want.size()) {
    auto failure = ::testing::AssertionFailure()
                   << "got " << got.size() << " events, want " << want.size() << ":";
    for (const auto& e : got) failure << "\n  " << e.ShortDebugString();
    return failure;
  }
  for (size_t i = 0; i < want.size(); ++i) {
    auto same = ProtoIs(got[i], want[i]);
    if (!same) return ::testing::AssertionFailure() << "event " << i << " " << same.message();
  }
  return ::testing::AssertionSuccess();
}

// Then: the command succeeded with exactly `want`.
template <typename Event>
::testing::AssertionResult EventsAre(const absl::StatusOr<std::vector<Event>>& got,
                                     const std::vector<Event>& want) {
  if (!got.ok()) return ::testing::AssertionFailure() << "refused: " << got.status();
  return EventsAre(*got, want);
}

// Then: no events at all.
template <typename Event>
::testing::AssertionResult NoEvents(const std::vector<Event>& got) {
  return EventsAre(got, {});
}

// Then: the command was refused with `code`, a message starting with `field` + ": " and
// containing `detail`.
template <typename Event>
::testing::AssertionResult Refused(const absl::StatusOr<std::vector<Event>>& got,
                                   absl::StatusCode code, absl::string_view field,
                                   absl::string_view detail = "") {
  if (got.ok()) {
    auto failure = ::testing::AssertionFailure() << "accepted, with " << got->size() << " events";
    for (const auto& e : *got) failure << "\n  " << e.ShortDebugString();
    return failure;
  }
  const absl::Status& s = got.status();
  std::string prefix = absl::StrCat(field, ": ");
  if (s.code() != code || !absl::StartsWith(s.message(), prefix) ||
      !absl::StrContains(s.message(), detail)) {
    return ::testing::AssertionFailure()
           << "got " << s << "; want " << absl::StatusCodeToString(code) << " \"" << prefix
           << "...\"" << (detail.empty() ? "" : " mentioning \"") << detail
           << (detail.empty() ? "" : "\"");
  }
  return ::testing::AssertionSuccess();
}

template <typename Event>
::testing::AssertionResult InvalidArgument(const absl::StatusOr<std::vector<Event>>& got,
                                           absl::string_view field,
                                           absl::string_view detail = "") {
  return Refused(got, absl::StatusCode::kInvalidArgument, field, detail);
}

}  // namespace remiss::testing
