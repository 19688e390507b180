// Signing in to a console started with dev_signin, as a browser does: the chooser's page
// gives a pre-session cookie and a CSRF token, the chooser's form (with the page's Origin)
// the session cookie. Call with ASSERT_NO_FATAL_FAILURE.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <regex>
#include <string>

#include "absl/strings/str_cat.h"

namespace remiss::testing {

inline void DevSignIn(httplib::Client& http, const std::string& origin, const std::string& identity,
                      std::string* session) {
  auto page = http.Get("/logga-in");
  ASSERT_TRUE(page);
  std::smatch m;
  const std::string cookie = page->get_header_value("Set-Cookie");
  ASSERT_TRUE(std::regex_search(cookie, m, std::regex("remiss_pre=([0-9a-f]+)"))) << cookie;
  const std::string pre = m[1];
  ASSERT_TRUE(std::regex_search(page->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\""))) << page->body;
  auto signed_in = http.Post("/logga-in", {{"Cookie", "remiss_pre=" + pre}, {"Origin", origin}},
                             absl::StrCat("identity=", identity, "&csrf=", m[1].str()),
                             "application/x-www-form-urlencoded");
  ASSERT_TRUE(signed_in);
  ASSERT_EQ(signed_in->status, 303) << signed_in->body;
  const std::string set = signed_in->get_header_value("Set-Cookie");
  ASSERT_TRUE(std::regex_search(set, m, std::regex("remiss_session=([0-9a-f]+)"))) << set;
  *session = m[1];
}

}  // namespace remiss::testing
