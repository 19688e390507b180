// The HTML every page shares: escaping, the page shell (lang="sv", landmarks, the skip link,
// the signed-in person and the sign-out form), the style sheet with its print styles (a clean
// A4 document), and small pieces: a flash message, a hidden CSRF field.
#pragma once

#include <optional>
#include <string>

#include "identity.h"

namespace remiss::console {

std::string Escape(const std::string& text);  // &, <, >, ", '
std::string UrlEncode(const std::string& text);

struct Shell {
  std::string title;             // the page's own title; " – Remiss" is added
  std::optional<Person> person;  // signed in, or not
  std::string csrf;              // the person's CSRF token (for the sign-out form)
  std::string notice;            // a message after a command ("Remissen skapades.")
  std::string error;             // an error to show before the page
  std::string json_url;          // the page as JSON
  bool new_round = false;        // the menu offers "Ny remiss" (MaySendRounds)
};

// A whole document around `main` (the page's own HTML).
std::string Page(const Shell& shell, const std::string& main);

std::string CsrfField(const std::string& csrf);

// The style sheet (served at /stil.css).
const std::string& StyleSheet();

}  // namespace remiss::console
