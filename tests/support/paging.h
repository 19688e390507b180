// What every paged List query must do, checked the same way for each through gRPC: walk its
// pages from the first to the one with an empty next_page_token, and refuse a bad page_size
// or a page_token that is not one it gave, naming the field. `call(request, &response)` makes
// one call (with a deadline) and returns its status.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace remiss::testing {

// Calls from the first page (with `page_size`) until next_page_token is empty, following
// the tokens; appends every page's answer to `pages`. Fails on an error or a runaway walk.
template <typename Request, typename Response, typename Call>
::testing::AssertionResult WalkPages(Call&& call, Request request, int32_t page_size,
                                     std::vector<Response>* pages, int max_pages = 200) {
  request.set_page_size(page_size);
  request.clear_page_token();
  for (int i = 0; i < max_pages; ++i) {
    Response page;
    grpc::Status s = call(request, &page);
    if (!s.ok()) {
      return ::testing::AssertionFailure() << "page " << i + 1 << ": " << s.error_message();
    }
    pages->push_back(page);
    if (page.next_page_token().empty()) return ::testing::AssertionSuccess();
    request.set_page_token(page.next_page_token());
  }
  return ::testing::AssertionFailure() << "no last page after " << max_pages << " pages";
}

// The refusal `call` gets for `request`: INVALID_ARGUMENT whose message starts with `field`.
template <typename Request, typename Response, typename Call>
::testing::AssertionResult RefusedNaming(Call&& call, const Request& request, Response*,
                                         const std::string& prefix) {
  Response out;
  grpc::Status s = call(request, &out);
  if (s.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
    return ::testing::AssertionFailure() << "not INVALID_ARGUMENT but " << s.error_code() << " "
                                         << s.error_message();
  }
  if (!absl::StartsWith(s.error_message(), prefix)) {
    return ::testing::AssertionFailure() << "\"" << s.error_message() << "\" does not start with \""
                                         << prefix << "\"";
  }
  return ::testing::AssertionSuccess();
}

// A page_size below 0 or above 500, and a page_token that is garbage, are refused naming the
// field; `request` is otherwise a good request.
template <typename Response, typename Request, typename Call>
void ExpectBadPagingRefused(Call&& call, Request request) {
  Response* type = nullptr;
  for (int32_t bad : {-1, 501}) {
    Request r = request;
    r.set_page_size(bad);
    EXPECT_TRUE(RefusedNaming(call, r, type,
                              absl::StrCat("page_size: must be between 0 and 500 (got ", bad, ")")));
  }
  for (const char* garbage : {"garbage, not a token", "ks-2019-1939", "AAAAAAAAAAAAAAAA"}) {
    Request r = request;
    r.set_page_token(garbage);
    EXPECT_TRUE(RefusedNaming(call, r, type, "page_token: ")) << garbage;
  }
}

}  // namespace remiss::testing
