// Following a List query's pages: the request's page_token is set from each answer's
// next_page_token until it is empty, and the pages are merged into one answer (their
// repeated fields one after another), so a list prints as one table or one JSON document.
// Stateless functions.
#pragma once

#include <string>

#include <google/protobuf/message.h>

#include "remiss/v1/followup.pb.h"
#include "tools/remissctl/options.h"

namespace remissctl {

// Whether `method`'s request has a page_token and its answer a next_page_token.
bool IsPaged(const google::protobuf::MethodDescriptor& method);

// Calls service/method at `address` for every page, from the request's own page_token (empty:
// the first page) to the last, and merges them into `response` (its next_page_token then
// empty). A method that does not page is called once. Throws CallError as Call does, and when
// the server hands back a token it gave before.
void CallEveryPage(const Options& o, const std::string& address,
                   const google::protobuf::MethodDescriptor& method,
                   const google::protobuf::Message& request, google::protobuf::Message* response);

// A round's whole compilation, as GetCompilation gives it for a small round: the live one and
// every frozen version, each read by board with GetCompilationPage (a round's may be larger
// than one message) and its pages appended (remiss/followup/compilation_pages.h).
void CallWholeCompilation(const Options& o, const std::string& address,
                          const std::string& referral_id, remiss::v1::CompilationView* view);

}  // namespace remissctl
