#include "harness/sweep/record_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sstream>

#include "harness/io/arrays.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

namespace fs = std::filesystem;

/// The length of the prefix of `text` made of whole lines (up to and including the last newline).
std::size_t complete_prefix(const std::string& text) {
  const auto last = text.rfind('\n');
  return last == std::string::npos ? 0 : last + 1;
}

/// The time now as 20261123T224055Z, for file names.
[[noreturn]] void fail_errno(const fs::path& path, const std::string& what) {
  throw InputError(path.string() + ": " + what + " (" + std::strerror(errno) + ")");
}

/// Writes `text` to a file of `dir` that did not exist, named `stem` + `extension`, or, when that name is taken (a
/// second set-aside in the same second), `stem`-2, -3, ... + `extension`: created exclusively, so nothing written
/// before is replaced. Returns its path.
fs::path write_new_file(const fs::path& dir, const std::string& stem, const std::string& extension,
                        const std::string& text) {
  for (int n = 1;; ++n) {
    std::string name = stem;
    if (n > 1) name.append("-").append(std::to_string(n));
    const fs::path path = dir / (name + extension);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) fail_errno(path, "cannot create");
    try {
      write_all_synced(fd, std::as_bytes(std::span(text.data(), text.size())), path.string(), "cannot write");
    } catch (const InputError&) {
      ::close(fd);
      throw;
    }
    ::close(fd);
    return path;
  }
}

/// The records of a records file, and how many of its bytes are whole lines (less than its size after a torn write).
struct RecordsFile {
  std::vector<nlohmann::json> records;
  std::size_t whole_bytes = 0;
  std::size_t size = 0;
};

RecordsFile read_records_file(const fs::path& dir, std::vector<std::string>* warnings) {
  const fs::path path = records_path(dir);
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  const std::string text = read_text_file(path.string(), "the records");
  const std::size_t whole = complete_prefix(text);
  if (whole < text.size() && warnings)
    warnings->push_back(path.string() + ": ignoring a torn last line (" + std::to_string(text.size() - whole) +
                        " bytes, an interrupted write); its cell will be run again");
  RecordsFile out{{}, whole, text.size()};
  std::set<std::string> seen;
  std::size_t line_no = 0;
  std::istringstream lines(text.substr(0, whole));
  for (std::string line; std::getline(lines, line);) {
    ++line_no;
    if (line.empty()) continue;
    nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object() || !record.contains("cell") || !record["cell"].is_string())
      throw InputError(path.string() + ": line " + std::to_string(line_no) + " is not a result record");
    if (!seen.insert(record["cell"].get<std::string>()).second) {
      if (warnings) warnings->push_back(path.string() + ": line " + std::to_string(line_no) + " repeats cell " +
                                        record["cell"].get<std::string>() + "; keeping the first");
      continue;
    }
    out.records.push_back(std::move(record));
  }
  return out;
}

}  // namespace

std::string utc_time(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char out[32];
  std::strftime(out, sizeof out, format, &tm);
  return out;
}

fs::path records_path(const fs::path& dir) { return dir / "records.jsonl"; }

std::vector<nlohmann::json> read_records(const fs::path& dir, std::vector<std::string>* warnings) {
  std::vector<nlohmann::json> records = read_records_file(dir, warnings).records;
  const std::set<std::string> plan = read_plan(dir);
  if (plan.empty()) return records;
  const auto outside = std::erase_if(records, [&](const nlohmann::json& r) { return !plan.count(r["cell"].get<std::string>()); });
  if (outside > 0 && warnings)
    warnings->push_back(records_path(dir).string() + ": left out " + std::to_string(outside) +
                        " records of cells outside the folder's plan (plan.json)");
  return records;
}

void write_records(const fs::path& dir, const std::vector<nlohmann::json>& records) {
  std::string text;
  for (const nlohmann::json& r : records) text += r.dump() + "\n";
  write_text_atomic(records_path(dir).string(), text);
}

FolderLock::FolderLock(const fs::path& dir, const std::string& what) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(dir.string() + ": cannot create the output folder (" + ec.message() + ")");
  const fs::path lock = dir / ".lock";
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno(dir, "cannot write to the output folder");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string holder = read_text_file(lock.string());
    while (!holder.empty() && holder.back() == '\n') holder.pop_back();
    ::close(fd_);
    throw InputError(dir.string() + ": in use by another oodbench process (" + (holder.empty() ? "unknown" : holder) +
                     "); wait for it to finish, or write to another folder");
  }
  // Who holds it, for the message above; a crashed holder's line is harmless: the kernel has dropped its lock.
  const std::string who = "pid " + std::to_string(::getpid()) + ": " + what + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, who.data(), who.size(), 0) < 0) fail_errno(lock, "cannot write");
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

namespace {

/// The folder's plan.json (null when it has none).
nlohmann::json plan_document(const fs::path& dir) {
  const fs::path path = dir / "plan.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return nullptr;
  nlohmann::json plan = nlohmann::json::parse(read_text_file(path.string()), nullptr, false);
  if (plan.is_discarded() || !plan.contains("cells") || !plan["cells"].is_array() ||
      (plan.contains("names") && !plan["names"].is_object()))
    throw InputError(path.string() + ": not a plan file (expected {\"cells\": [ids]}); run the sweep again");
  return plan;
}

}  // namespace

std::set<std::string> read_plan(const fs::path& dir) {
  const nlohmann::json plan = plan_document(dir);
  return plan.is_null() ? std::set<std::string>{} : plan["cells"].get<std::set<std::string>>();
}

std::map<std::string, std::string> read_plan_names(const fs::path& dir) {
  const nlohmann::json plan = plan_document(dir);
  if (plan.is_null() || !plan.contains("names")) return {};
  return plan["names"].get<std::map<std::string, std::string>>();
}

void write_plan(const fs::path& dir, const std::vector<std::string>& cell_ids,
                const std::map<std::string, std::string>& names) {
  write_text_atomic((dir / "plan.json").string(),
                    nlohmann::json({{"cells", cell_ids}, {"names", names}}).dump(1) + "\n");
}

RecordStore::RecordStore(const fs::path& dir, const std::set<std::string>& plan, const std::string& what,
                         const RecordCheck& check)
    : dir_(dir), lock_(dir, what) {
  const fs::path path = records_path(dir);
  RecordsFile existing = read_records_file(dir, &warnings_);
  std::string kept, other;
  for (nlohmann::json& r : existing.records) {
    const std::string id = r["cell"].get<std::string>();
    const RecordFate fate = !plan.count(id) ? RecordFate::set_aside : check ? check(r) : RecordFate::keep;
    if (fate == RecordFate::set_aside) {
      other += r.dump() + "\n";
      ++(plan.count(id) ? stale_ : moved_);
      continue;
    }
    kept += r.dump() + "\n";
    finished_.insert(id);
    if (fate == RecordFate::changed) ++changed_;
  }
  if (moved_ + stale_ > 0)  // aside first, then the records file without them: a crash between loses nothing
    moved_to_ = write_new_file(dir, "records.set-aside-" + utc_time("%Y%m%dT%H%M%SZ"), ".jsonl", other);
  if (moved_ + stale_ + changed_ > 0) write_text_atomic(path.string(), kept);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno(path, "cannot open for appending");
  // Cut a torn last line off, so that the next record starts on a line of its own.
  if (moved_ + stale_ + changed_ == 0 && existing.whole_bytes < existing.size && ::ftruncate(fd_, static_cast<off_t>(existing.whole_bytes)) != 0)
    fail_errno(path, "cannot repair");
}

RecordStore::~RecordStore() {
  if (fd_ >= 0) ::close(fd_);
}

void RecordStore::append(const nlohmann::json& record) {
  const std::string line = record.dump() + "\n";
  const fs::path path = records_path(dir_);
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  try {
    write_all_synced(fd_, std::as_bytes(std::span(line.data(), line.size())), path.string(), "cannot append a record");
  } catch (const InputError&) {
    // Take back a partial (or unsynced) line so that the file holds whole records only.
    if (before >= 0) (void)!::ftruncate(fd_, before);  // best effort: the write already failed
    throw;
  }
  finished_.insert(record["cell"].get<std::string>());
}

}  // namespace oodbench
