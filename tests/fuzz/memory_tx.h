// A ProjectionTx over a std::map, for fuzzing projectors without RocksDB. Not thread-safe.
#pragma once

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "remiss/core/store/event_store.h"

namespace remiss::fuzz {

class MemoryTx final : public core::ProjectionTx {
 public:
  std::optional<std::string> Get(absl::string_view key) override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  void Put(absl::string_view key, absl::string_view value) override {
    rows_[std::string(key)] = std::string(value);
  }
  void Delete(absl::string_view key) override { rows_.erase(std::string(key)); }
  void Scan(absl::string_view prefix,
            const std::function<bool(absl::string_view, absl::string_view)>& fn) override {
    for (auto it = rows_.lower_bound(std::string(prefix));
         it != rows_.end() && absl::StartsWith(it->first, prefix); ++it) {
      if (!fn(it->first, it->second)) break;
    }
  }

 private:
  std::map<std::string, std::string> rows_;
};

}  // namespace remiss::fuzz
