#include "harness/sweep/record_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sstream>
#include <algorithm>

#include "harness/io/atomic_write.h"
#include "harness/io/file_checks.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

namespace fs = std::filesystem;

/// The length of the prefix of `text` made of whole lines (up to and including the last newline).
std::size_t complete_prefix(const std::string& text) {
  const auto last = text.rfind('\n');
  return last == std::string::npos ? 0 : last + 1;
}

[[noreturn]] void fail_errno(const fs::path& path, const std::string& what) {
  throw_system_error(path.string() + ": " + what, errno);
}

/// The whole lines of the folder's set-aside files (records.set-aside-*.jsonl), and the last file holding one of them.
struct SetAside {
  std::set<std::string> lines;
  std::map<std::string, fs::path> file_of;  // line -> the file holding it
};

SetAside read_set_aside(const fs::path& dir) {
  SetAside out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with("records.set-aside-") && name.ends_with(".jsonl")) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::istringstream lines(read_text_file(file.string(), "a set-aside records file"));
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      out.lines.insert(line);
      out.file_of[line] = file;
    }
  }
  return out;
}

/// Sets `lines` (whole records, one per line) aside in a file of `dir` that did not exist, named `stem` + ".jsonl",
/// or, when that name is taken (a second set-aside in the same second), `stem`-2, -3, ...: written to a temporary
/// file first and linked to its name (which fails rather than replace), so a set-aside file is whole or absent and
/// nothing set aside before is replaced. Records an earlier set-aside already holds (a run killed before it rewrote
/// the records file) are not written twice. Returns the file holding them.
fs::path set_aside(const fs::path& dir, const std::string& stem, const std::vector<std::string>& lines) {
  const SetAside existing = read_set_aside(dir);
  std::string text;
  fs::path found;
  for (const std::string& line : lines) {
    if (existing.lines.count(line)) found = existing.file_of.at(line);
    else text += line + "\n";
  }
  if (text.empty()) return found;
  const fs::path tmp = temporary_name((dir / stem).string() + ".jsonl");
  write_file_atomic(tmp.string(), std::as_bytes(std::span(text.data(), text.size())));
  for (int n = 1;; ++n) {
    std::string name = stem;
    if (n > 1) name.append("-").append(std::to_string(n));
    const fs::path path = dir / name.append(".jsonl");
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      ::unlink(tmp.c_str());  // a kill before this leaves the temporary file, which the next run removes
      return path;
    }
    if (errno == EEXIST) continue;
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_system_error(path.string() + ": cannot create", err);
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
  if (!file_exists(path.string())) return {};
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

std::vector<CellRecord> read_cell_records(const fs::path& dir, std::vector<std::string>* warnings) {
  std::vector<CellRecord> out;
  for (const nlohmann::json& r : read_records(dir, warnings)) out.push_back(parse_cell_record(r, records_path(dir).string()));
  return out;
}

void write_records(const fs::path& dir, const std::vector<nlohmann::json>& records) {
  std::string text;
  for (const nlohmann::json& r : records) text += r.dump() + "\n";
  write_text_atomic(records_path(dir).string(), text);
}

FolderLock::FolderLock(const fs::path& dir, const std::string& what) {
  std::error_code ec;
  if (fs::is_symlink(dir, ec) && !fs::exists(dir, ec))
    throw InputError(dir.string() + ": is a symbolic link to " + fs::read_symlink(dir, ec).string() +
                     ", which does not exist; create that folder, or remove the link");
  fs::create_directories(dir, ec);
  if (ec && ec.value() == EEXIST && !fs::is_directory(dir))
    throw InputError(dir.string() + ": exists and is not a folder; give the results a folder of their own");
  if (ec) throw_system_error(dir.string() + ": cannot create the output folder", ec.value());
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
  if (!file_exists(path.string())) return nullptr;
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

namespace {

/// `check`'s verdict on `record` (a line of `path`), read typed; a record it changed is written back into `record`.
RecordFate checked(nlohmann::json& record, const RecordCheck& check, const fs::path& path) {
  CellRecord typed = parse_cell_record(record, path.string());
  const RecordFate fate = check(typed);
  if (fate == RecordFate::changed) record = typed;
  return fate;
}

}  // namespace

RecordStore::RecordStore(const fs::path& dir, const std::set<std::string>& plan, const std::string& what,
                         const RecordCheck& check, const std::function<void()>& before_rewrite)
    : dir_(dir), lock_(dir, what) {
  for (const char* sub : {"", "cache", "scores"}) remove_stale_temporaries(dir / sub);  // what a killed run left
  const fs::path path = records_path(dir);
  RecordsFile existing = read_records_file(dir, &warnings_);
  std::string kept;
  std::vector<std::string> other;
  for (nlohmann::json& r : existing.records) {
    const std::string id = r["cell"].get<std::string>();
    const RecordFate fate =
        !plan.count(id) ? RecordFate::set_aside : check ? checked(r, check, path) : RecordFate::keep;
    if (fate == RecordFate::set_aside) {
      other.push_back(r.dump());
      ++(plan.count(id) ? stale_ : moved_);
      continue;
    }
    kept += r.dump() + "\n";
    finished_.insert(id);
    if (fate == RecordFate::changed) ++changed_;
  }
  if (moved_ + stale_ + changed_ > 0) {
    // What was made from the records goes first, then the records aside, then the records file without them: a
    // kill at any point leaves no report of records the folder no longer holds, and loses or repeats nothing.
    if (before_rewrite) before_rewrite();
    if (moved_ + stale_ > 0) moved_to_ = set_aside(dir, "records.set-aside-" + utc_time("%Y%m%dT%H%M%SZ"), other);
    write_text_atomic(path.string(), kept);
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno(path, "cannot open for appending");
  // Cut a torn last line off, so that the next record starts on a line of its own.
  if (moved_ + stale_ + changed_ == 0 && existing.whole_bytes < existing.size && ::ftruncate(fd_, static_cast<off_t>(existing.whole_bytes)) != 0)
    fail_errno(path, "cannot repair");
}

RecordStore::~RecordStore() {
  if (fd_ >= 0) ::close(fd_);
}

void RecordStore::append(const CellRecord& record) {
  const std::string line = nlohmann::json(record).dump() + "\n";
  const fs::path path = records_path(dir_);
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  try {
    write_all_synced(fd_, std::as_bytes(std::span(line.data(), line.size())), path.string(), "cannot append a record");
  } catch (const InputError&) {
    // Take back a partial (or unsynced) line so that the file holds whole records only.
    if (before >= 0) (void)!::ftruncate(fd_, before);  // best effort: the write already failed
    throw;
  }
  finished_.insert(record.cell);
}

}  // namespace oodbench
