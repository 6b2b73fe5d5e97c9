// The result store of a sweep: <dir>/records.jsonl, one complete JSON record per finished cell.
//
// A record is appended with a single write() to a file opened O_APPEND, then fsync'd: a crash leaves the file with
// whole records only, except, at worst, a torn last line (power loss mid-write), which readers skip and the next
// run cuts off. An advisory lock (flock on <dir>/.lock, released by the kernel when its holder exits, crashed or not)
// keeps two writers out of one folder. A folder holds the records of one plan only: opening it for a plan moves the
// records of other cells (another config, other inputs, another version) aside into a file of their own, as well as
// records of its cells that the caller's check finds stale (intervals of another bootstrap count that cannot be
// recomputed). A set-aside file is never overwritten: a second one in the same second gets the suffix -2, -3, ...
// It is whole or absent (written aside, then linked to its name), and a record already in one is not set aside again:
// a run killed between the set-aside and the rewrite of the records file finds its set-aside file on the next run.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/sweep/cell_record.h"

namespace oodbench {

/// The records of `dir` (empty if it has none), in file order, without duplicates (the first record of an id wins),
/// and only those of the folder's plan when it has one.
/// Problems that lose nothing (a torn last line, a duplicate) are added to `warnings`; a damaged line in the middle of
/// the file is an InputError naming the file and line.
std::vector<nlohmann::json> read_records(const std::filesystem::path& dir, std::vector<std::string>* warnings = nullptr);
/// The same records, typed: an InputError naming the file and the cell for a line that is not a record oodbench wrote.
std::vector<CellRecord> read_cell_records(const std::filesystem::path& dir,
                                          std::vector<std::string>* warnings = nullptr);

/// Writes `records` as the whole records file of `dir`, atomically (for merge).
void write_records(const std::filesystem::path& dir, const std::vector<nlohmann::json>& records);

/// The one writer's lock of a result folder: an InputError naming the process that holds it otherwise.
class FolderLock {
 public:
  /// Creates `dir` if needed and locks it for `what` (e.g. "oodbench run configs/x.json").
  FolderLock(const std::filesystem::path& dir, const std::string& what);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

/// The cell ids of the whole plan a folder's records belong to (all shards), written by `run` as <dir>/plan.json;
/// empty when the folder has none (written before oodbench 0.2).
std::set<std::string> read_plan(const std::filesystem::path& dir);
/// The plan's cells by id as people name them ("chestxray/mobilenet_v2: knn (k=5)", ", seed 1" for seeded ones), for
/// messages about cells without records; empty for plans written before the names were.
std::map<std::string, std::string> read_plan_names(const std::filesystem::path& dir);
/// Writes plan.json: the ids in plan order and, beside them, `names` (id -> name).
void write_plan(const std::filesystem::path& dir, const std::vector<std::string>& cell_ids,
                const std::map<std::string, std::string>& names);

/// What opening a folder does with a record of one of its plan's cells: keeps it as it is, keeps it as the check
/// changed it, or sets it aside so that its cell runs again. A check reads the record typed.
enum class RecordFate { keep, changed, set_aside };
using RecordCheck = std::function<RecordFate(CellRecord& record)>;

class RecordStore {
 public:
  /// Takes the folder's lock for `what`, removes the temporary files killed writers left (in it, cache/ and
  /// scores/), moves the records of cells outside `plan` aside (see moved_aside()), passes each other record to
  /// `check` (when given), and reads the ids already finished, cutting off a torn last line. `before_rewrite` runs
  /// before anything is set aside or changed (it removes what was made from the records: the report).
  RecordStore(const std::filesystem::path& dir, const std::set<std::string>& plan, const std::string& what,
              const RecordCheck& check = {}, const std::function<void()>& before_rewrite = {});
  ~RecordStore();
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  bool finished(const std::string& cell_id) const { return finished_.count(cell_id) != 0; }
  /// Appends one record durably.
  void append(const CellRecord& record);
  /// What opening found and repaired (a torn last line, duplicates).
  const std::vector<std::string>& warnings() const { return warnings_; }
  /// How many records of other cells opening moved aside, and the file they went to (empty path if none).
  std::pair<std::size_t, std::filesystem::path> moved_aside() const { return {moved_, moved_to_}; }
  /// How many records of the plan's cells `check` set aside (in the same file), and how many it changed.
  std::size_t stale() const { return stale_; }
  std::size_t changed() const { return changed_; }

 private:
  std::filesystem::path dir_;
  FolderLock lock_;
  int fd_ = -1;
  std::size_t moved_ = 0, stale_ = 0, changed_ = 0;
  std::filesystem::path moved_to_;
  std::set<std::string> finished_;
  std::vector<std::string> warnings_;
};

/// The current UTC time in strftime `format` (records' "finished_at", set-aside file names).
std::string utc_time(const char* format);

std::filesystem::path records_path(const std::filesystem::path& dir);

}  // namespace oodbench
