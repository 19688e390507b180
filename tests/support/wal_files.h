// A RocksDB file system for store-level fault tests: the write-ahead-log files (NNNNNN.log)
// it opens for writing go through Wrap, which puts the test's fault on them; every other
// file is the target's, as it is.
#pragma once

#include <memory>
#include <string>

#include "rocksdb/file_system.h"

namespace remiss::testing {

class WalFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit WalFileSystem(std::shared_ptr<rocksdb::FileSystem> target)
      : rocksdb::FileSystemWrapper(std::move(target)) {}

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, &file, dbg);
    if (!s.ok()) return s;
    const bool wal = name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
    *result = wal ? Wrap(std::move(file)) : std::move(file);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    return NewWritableFile(name, options, result, dbg);
  }

 protected:
  virtual std::unique_ptr<rocksdb::FSWritableFile> Wrap(
      std::unique_ptr<rocksdb::FSWritableFile> wal) = 0;
};

}  // namespace remiss::testing
