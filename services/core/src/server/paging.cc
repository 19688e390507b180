#include "remiss/core/server/paging.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"

namespace remiss::core {
namespace {

// A token is web-safe base64 (no padding) of: the version byte, 8 bytes naming the query,
// and the key it continues after, less the query's prefix.
constexpr char kTokenVersion = 1;
constexpr size_t kIdentityBytes = 8;

// FNV-1a, 64 bits: stable across processes and builds (a token outlives a restart).
uint64_t Fnv1a(absl::string_view bytes, uint64_t h) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The query's identity: its name, filters and prefix, each length-prefixed so that no two
// queries run together into the same bytes.
std::string Identity(const PageQuery& query) {
  uint64_t h = 14695981039346656037ull;
  auto add = [&h](absl::string_view part) {
    h = Fnv1a(EncodeU64(part.size()), h);
    h = Fnv1a(part, h);
  };
  add(query.name);
  add(query.prefix);
  h = Fnv1a(EncodeU64(query.filters.size()), h);
  for (const std::string& f : query.filters) add(f);
  return EncodeU64(h);
}

absl::Status BadToken(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("page_token: ", why));
}

}  // namespace

absl::StatusOr<Page> StartPage(PageQuery query, int32_t page_size, absl::string_view page_token) {
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: must be between 0 and ", kMaxPageSize,
                                                   " (got ", page_size, ")"));
  }
  Page page;
  page.size = page_size == 0 ? kDefaultPageSize : page_size;
  page.budget = std::max<int64_t>(kMinScanBudget, kScanBudgetPerRow * page.size);
  if (!page_token.empty()) {
    std::string bytes;
    if (page_token.size() > kMaxPageTokenBytes || !absl::WebSafeBase64Unescape(page_token, &bytes) ||
        bytes.size() <= 1 + kIdentityBytes || bytes[0] != kTokenVersion) {
      return BadToken("is not a token this service gave (pass next_page_token back unchanged)");
    }
    if (absl::string_view(bytes).substr(1, kIdentityBytes) != Identity(query)) {
      return BadToken(absl::StrCat("belongs to another query (a token continues only the ", query.name,
                                   " with the same filters that gave it)"));
    }
    page.start_after = absl::StrCat(query.prefix, absl::string_view(bytes).substr(1 + kIdentityBytes));
  }
  page.query = std::move(query);
  return page;
}

std::string PageTokenAfter(const PageQuery& query, absl::string_view key) {
  absl::ConsumePrefix(&key, query.prefix);
  return absl::WebSafeBase64Escape(
      absl::StrCat(absl::string_view(&kTokenVersion, 1), Identity(query), key));
}

std::string ScanPage(const EventStore& store, const Page& page, const PageVisitor& visit) {
  const PageQuery& q = page.query;
  int64_t examined = 0;
  int32_t rows = 0;
  bool more = false;         // a row follows the full page, or the budget ran out
  std::string last_row;      // the key of the last row on the page
  std::string last_examined;
  store.ScanProjections(q.prefix, page.start_after, [&](absl::string_view key, absl::string_view value) {
    if (!q.end_before.empty() && key >= q.end_before) return false;
    if (examined == page.budget) {
      more = true;
      return false;
    }
    ++examined;
    last_examined.assign(key.data(), key.size());
    const bool room = rows < page.size;
    if (!visit(key, value, room)) return true;
    if (!room) {
      more = true;
      return false;
    }
    ++rows;
    last_row.assign(key.data(), key.size());
    return true;
  });
  if (!more) return "";
  // A full page goes on after its last row; a page cut short by the budget after the last
  // entry it examined (which holds no row it has not shown).
  return PageTokenAfter(q, rows == page.size ? last_row : last_examined);
}

}  // namespace remiss::core
