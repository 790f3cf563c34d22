// A fresh hookd database for the profiling tools in bench/tools: hookd's own migrations on a new file in a
// temporary directory, removed again when the object goes away.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/ids.h"
#include "store/sqlite/database.h"
#include "store/sqlite/migrations.h"

namespace hookd::tools {

class ScratchDatabase {
 public:
  ScratchDatabase() : dir_(std::filesystem::temp_directory_path() / ("hookd-tool-" + NewId(""))) {
    std::filesystem::create_directories(dir_);
    auto opened = sqlite::Database::Open((dir_ / "hookd.db").string(), false);
    if (opened && sqlite::ApplyMigrations(**opened, 1)) db_ = std::move(*opened);
  }
  ~ScratchDatabase() {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  // Null when the database could not be created.
  [[nodiscard]] sqlite::Database* get() const { return db_.get(); }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace hookd::tools
