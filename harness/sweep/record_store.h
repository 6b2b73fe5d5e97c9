// The result store of a sweep: <dir>/records.jsonl, one complete JSON record per finished cell.
//
// A record is appended with a single write() to a file opened O_APPEND, then fsync'd: a crash leaves the file with
// whole records only, except, at worst, a torn last line (power loss mid-write), which readers skip and the next
// run cuts off. A lock file keeps two runs from writing one folder at the same time.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace oodbench {

/// The records of `dir` (empty if it has none), in file order, without duplicates (the first record of an id wins).
/// Problems that lose nothing (a torn last line, a duplicate) are added to `warnings`; a damaged line in the middle of
/// the file is an InputError naming the file and line.
std::vector<nlohmann::json> read_records(const std::filesystem::path& dir, std::vector<std::string>* warnings = nullptr);

/// Writes `records` as the whole records file of `dir`, atomically (for merge).
void write_records(const std::filesystem::path& dir, const std::vector<nlohmann::json>& records);

class RecordStore {
 public:
  /// Creates `dir` if needed, takes its lock (an InputError if another run holds it) and reads the ids already
  /// finished, cutting off a torn last line.
  explicit RecordStore(const std::filesystem::path& dir);
  ~RecordStore();
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  bool finished(const std::string& cell_id) const { return finished_.count(cell_id) != 0; }
  /// Appends one record (it must have a string "cell") durably.
  void append(const nlohmann::json& record);
  /// What opening found and repaired (a torn last line, duplicates).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::filesystem::path dir_;
  int lock_fd_ = -1;
  int fd_ = -1;
  std::set<std::string> finished_;
  std::vector<std::string> warnings_;
};

std::filesystem::path records_path(const std::filesystem::path& dir);

}  // namespace oodbench
