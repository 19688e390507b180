// Exit codes a script can use, and errors that read like sentences.
#pragma once

#include <stdexcept>
#include <string>

#include <grpcpp/support/status.h>

namespace remissctl {

enum ExitCode : int {
  kOk = 0,
  kOther = 1,
  kUsage = 2,         // a mistake on the command line
  kNotFound = 3,      // NOT_FOUND
  kRefused = 4,       // INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED
  kUnavailable = 5,   // UNAVAILABLE, DEADLINE_EXCEEDED
};

// Thrown for a usage mistake: the message is a sentence, printed after "remissctl: ".
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown when a call fails; carries its exit code and the sentence to print.
struct CallError : std::runtime_error {
  CallError(int code, const std::string& sentence) : std::runtime_error(sentence), exit_code(code) {}
  int exit_code;
};

int ExitCodeFor(grpc::StatusCode code);

// "the server refused: case_number: must look like ... (invalid argument)".
// `target` names what was called: "the referrals service at 127.0.0.1:50051".
std::string DescribeFailure(const grpc::Status& status, const std::string& target);

}  // namespace remissctl
