// Text hygiene and count caps for every command's request, checked by walking the message:
// what a hostile or broken client sends is refused naming the field, and quoted escaped.
#include "remiss/core/base/message_checks.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "remiss/v1/referrals.pb.h"
#include "remiss/v1/responses.pb.h"

namespace remiss::core {
namespace {

using remiss::v1::RecordStatementRequest;
using remiss::v1::RegisterOrganizationRequest;

RegisterOrganizationRequest Named(const std::string& name) {
  RegisterOrganizationRequest r;
  r.set_command_id("c1");
  r.set_org_id("bromma-sdn");
  r.set_name(name);
  return r;
}

TEST(MessageChecksTest, OrdinarySwedishTextPasses) {
  EXPECT_TRUE(CheckRequest(Named("Bromma stadsdelsnämnd – Åsa Öberg’s «förvaltning» 😀")).ok());
}

TEST(MessageChecksTest, ControlCharactersInANameAreRefusedNamingTheFieldAndQuotedEscaped) {
  for (const std::string bad : {std::string("Bromma\0sdn", 10), std::string("Bromma\asdn"),
                                std::string("Bromma\x1b[31msdn"), std::string("Bromma\rsdn"),
                                std::string("Bromma\nsdn"), std::string("Bromma\tsdn"),
                                std::string("Bromma\xc2\x85sdn")}) {
    absl::Status s = CheckRequest(Named(bad));
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << Quote(bad);
    EXPECT_TRUE(absl::StartsWith(s.message(), "name: must be one line without control characters"))
        << s;
    for (char c : s.message()) {
      EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << "a raw control character in: " << s;
    }
  }
  EXPECT_NE(CheckRequest(Named(std::string("Bromma\0sdn", 10))).message().find("\"Bromma\\x00sdn\""),
            std::string::npos);
  EXPECT_NE(CheckRequest(Named("Bromma\x1b[31msdn")).message().find("\"Bromma\\x1b[31msdn\""),
            std::string::npos);
}

TEST(MessageChecksTest, BidiOverridesAreRefused) {
  absl::Status s = CheckRequest(Named("Bromma \xE2\x80\xAE" "ndsatS"));  // U+202E
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bidirectional"), std::string::npos) << s;
  EXPECT_NE(s.message().find("\\u202e"), std::string::npos) << s;
  EXPECT_FALSE(CheckRequest(Named("a\xE2\x81\xA6" "b")).ok());  // U+2066, an isolate
}

TEST(MessageChecksTest, InvalidUtf8IsRefused) {
  for (const std::string bad : {std::string("Bromma\xff"), std::string("\xc3"),
                                std::string("\xed\xa0\x80"),  // a surrogate
                                std::string("\xc0\xaf")}) {   // an overlong '/'
    absl::Status s = CheckText("name", bad, false);
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << Quote(bad);
    EXPECT_TRUE(absl::StartsWith(s.message(), "name: must be valid UTF-8")) << s;
  }
}

TEST(MessageChecksTest, LongTextsMayHoldLineBreaksAndTabsButNothingElse) {
  RecordStatementRequest r;
  r.set_command_id("c1");
  r.mutable_statement()->set_summary("Förvaltningen ställer sig positiv.\n\n\tFörslaget bör antas.");
  r.mutable_statement()->add_proposed_decision("Nämnden godkänner.\nSvaret lämnas.");
  EXPECT_TRUE(CheckRequest(r).ok()) << CheckRequest(r);

  r.mutable_statement()->set_views("Synpunkter\r\nmed CR");
  absl::Status s = CheckRequest(r);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(), "statement.views: must not contain control characters"))
      << s;

  r.mutable_statement()->clear_views();
  r.mutable_statement()->add_remarks()->set_topic("struktur\n");
  s = CheckRequest(r);
  EXPECT_TRUE(absl::StartsWith(s.message(), "statement.remarks[0].topic: must be one line")) << s;
}

TEST(MessageChecksTest, RepeatedFieldsHaveACountCap) {
  RecordStatementRequest r;
  r.set_command_id("c1");
  for (int i = 0; i <= 1000; ++i) r.mutable_statement()->add_proposed_decision("Punkt.");
  absl::Status s = CheckRequest(r);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "statement.proposed_decision: at most 1000 items (got 1001)");
}

TEST(MessageChecksTest, QuoteShortensAndEscapes) {
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote(std::string(100, 'x'), 5), "\"xxxxx…\"");
  EXPECT_EQ(Quote("åäö", 2), "\"åä…\"");
  EXPECT_EQ(EscapeUnsafe(std::string("no\0such\x07round\xff", 14)), "no\\x00such\\x07round\\xff");
  EXPECT_EQ(EscapeUnsafe("Södermalm"), "Södermalm");
}

TEST(MessageChecksTest, LargestFieldNamesThePathAndSize) {
  RecordStatementRequest r;
  r.mutable_statement()->set_summary(std::string(10, 's'));
  r.mutable_statement()->add_remarks()->set_text(std::string(20, 't'));
  r.mutable_statement()->add_remarks()->set_text(std::string(30, 't'));
  FieldSize f = LargestField(r);
  EXPECT_EQ(f.path, "statement.remarks[1].text");
  EXPECT_EQ(f.bytes, 30u);
}

}  // namespace
}  // namespace remiss::core
