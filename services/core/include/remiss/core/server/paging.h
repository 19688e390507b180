// How every List query pages: one check of `page_size`, one opaque `page_token` naming the
// query it belongs to and where the last page stopped, and one scan of a key range of the
// committed projections, in key order, that ends at a full page or after a bounded number of
// entries (an empty next_page_token: the last page). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "remiss/core/store/event_store.h"

namespace remiss::core {

inline constexpr int32_t kDefaultPageSize = 50;   // page_size 0
inline constexpr int32_t kMaxPageSize = 500;
// A page examines at most max(kMinScanBudget, kScanBudgetPerRow * page size) entries.
inline constexpr int64_t kMinScanBudget = 1000;
inline constexpr int64_t kScanBudgetPerRow = 10;
// A page_token longer than this is refused without decoding it.
inline constexpr size_t kMaxPageTokenBytes = 2048;

// What a List query reads. `name` and `filters` (the request's values that choose its rows,
// in a fixed order) and `prefix` make the query's identity: a token is good only for the
// query that gave it.
struct PageQuery {
  std::string name;                  // the RPC: "ListOrganizations"
  std::vector<std::string> filters;  // e.g. {kind}, {status, year, sender}
  std::string prefix;                // the key range: every key starting with it
  // When not empty, the range also ends before this key (a bound that moves with the clock,
  // like "due by now"); not part of the identity.
  std::string end_before;
};

// Where one page starts: the checked page size and the key after which to go on.
struct Page {
  PageQuery query;
  int32_t size = kDefaultPageSize;
  std::string start_after;  // a full key; empty: from the start of the range
  int64_t budget = kMinScanBudget;
};

// Checks `page_size` (0: the default; else 1..kMaxPageSize) and decodes `page_token` (empty:
// the first page). INVALID_ARGUMENT naming the field when either is wrong, or when the token
// was given by another query (another RPC, other filters).
[[nodiscard]] absl::StatusOr<Page> StartPage(PageQuery query, int32_t page_size,
                                             absl::string_view page_token);

// The token that continues `query` after `key` (which must start with query.prefix).
[[nodiscard]] std::string PageTokenAfter(const PageQuery& query, absl::string_view key);

// Called for each entry examined, in key order: returns whether the entry is a row of the
// answer, and adds it only when `room` is true (when false, the page is full and the scan
// only asks whether another row follows).
using PageVisitor =
    std::function<bool(absl::string_view key, absl::string_view value, bool room)>;

// Scans one page of `page.query`'s range after page.start_after. Returns the next_page_token:
// empty when no row follows. It stops after page.size rows, or after page.budget entries;
// the token then continues after the last row, or after the last entry examined when the
// page is not full.
[[nodiscard]] std::string ScanPage(const EventStore& store, const Page& page,
                                   const PageVisitor& visit);

// ScanPage for a repeated message field: `row_of(key, value)` gives the row for an entry,
// nullopt to skip it.
template <typename Row, typename RowOf>
[[nodiscard]] std::string ScanRows(const EventStore& store, const Page& page, RowOf&& row_of,
                                   google::protobuf::RepeatedPtrField<Row>* rows) {
  return ScanPage(store, page, [&](absl::string_view key, absl::string_view value, bool room) {
    std::optional<Row> row = row_of(key, value);
    if (!row) return false;
    if (room) *rows->Add() = std::move(*row);
    return true;
  });
}

}  // namespace remiss::core
