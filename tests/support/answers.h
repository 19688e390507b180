// A board's whole answer through the responses service's gRPC API, as the board itself on a
// plaintext listener: registered, a statement with long remarks, decided by delegation,
// submitted. For tests that need many or large answers (a round's compilation by board).
// Call with ASSERT_NO_FATAL_FAILURE.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "remiss/v1/responses.grpc.pb.h"

namespace remiss::testing {

// `org` answers round `referral_id` (registered and decided 2021-02-01) positive with
// remarks: two of `remark_chars` characters (`letter` repeated after "<org>: "), one on
// "trygghet" and one on "tema <org>".
inline void SubmitAnswerWithRemarks(remiss::v1::ResponseService::Stub& responses,
                                    const std::string& referral_id, const std::string& org,
                                    size_t remark_chars, char letter) {
  using namespace remiss::v1;
  auto as_board = [&org] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", org);
    ctx->AddMetadata("x-remiss-role", "board");
    ctx->AddMetadata("x-remiss-person", org + "-person-1");
    return ctx;
  };
  auto ok = [&org](const grpc::Status& s, const char* what) {
    ASSERT_TRUE(s.ok()) << org << " " << what << ": " << s.error_message();
  };
  CommandResult r;
  RegisterResponseRequest reg;
  reg.set_command_id("reg-" + org);
  reg.set_referral_id(referral_id);
  reg.set_org_id(org);
  reg.set_diary_number("DNR 2021/" + org);
  reg.set_registered_on("2021-02-01");
  // Responses learns of the round from referrals' feed: until it has, the round is unknown
  // there (NOT_FOUND), and the board tries again (bounded).
  grpc::Status registered = responses.RegisterResponse(as_board().get(), reg, &r);
  for (int i = 0; i < 500 && registered.error_code() == grpc::StatusCode::NOT_FOUND; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    registered = responses.RegisterResponse(as_board().get(), reg, &r);
  }
  ASSERT_NO_FATAL_FAILURE(ok(registered, "registers"));
  RecordStatementRequest st;
  st.set_command_id("statement-" + org);
  st.set_referral_id(referral_id);
  st.set_org_id(org);
  st.mutable_statement()->set_summary("Nämnden har synpunkter, se nedan.");
  st.mutable_statement()->set_standpoint(STANDPOINT_POSITIVE_WITH_REMARKS);
  st.mutable_statement()->add_proposed_decision("Nämnden överlämnar tjänsteutlåtandet som svar.");
  for (const std::string& topic : {std::string("trygghet"), "tema " + org}) {
    auto* remark = st.mutable_statement()->add_remarks();
    remark->set_topic(topic);
    remark->set_text(org + ": " + std::string(remark_chars, letter));
  }
  ASSERT_NO_FATAL_FAILURE(ok(responses.RecordStatement(as_board().get(), st, &r), "states"));
  RecordDelegationDecisionRequest d;
  d.set_command_id("delegation-" + org);
  d.set_referral_id(referral_id);
  d.set_org_id(org);
  d.mutable_delegation()->set_decided_by_name("Förvaltningschefen");
  d.mutable_delegation()->set_decided_by_title("Förvaltningschef");
  d.mutable_delegation()->set_date("2021-02-01");
  d.mutable_delegation()->set_decision_text("Svaret lämnas på delegation.");
  ASSERT_NO_FATAL_FAILURE(ok(responses.RecordDelegationDecision(as_board().get(), d, &r), "decides"));
  SubmitResponseRequest submit;
  submit.set_command_id("submit-" + org);
  submit.set_referral_id(referral_id);
  submit.set_org_id(org);
  ASSERT_NO_FATAL_FAILURE(ok(responses.SubmitResponse(as_board().get(), submit, &r), "submits"));
}

}  // namespace remiss::testing
