#include "harness/sweep/record_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

[[noreturn]] void fail_errno(const fs::path& path, const std::string& what) {
  throw InputError(path.string() + ": " + what + " (" + std::strerror(errno) + ")");
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

fs::path records_path(const fs::path& dir) { return dir / "records.jsonl"; }

std::vector<nlohmann::json> read_records(const fs::path& dir, std::vector<std::string>* warnings) {
  return read_records_file(dir, warnings).records;
}

void write_records(const fs::path& dir, const std::vector<nlohmann::json>& records) {
  std::string text;
  for (const nlohmann::json& r : records) text += r.dump() + "\n";
  write_text_atomic(records_path(dir).string(), text);
}

RecordStore::RecordStore(const fs::path& dir) : dir_(dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(dir.string() + ": cannot create the output folder (" + ec.message() + ")");
  const fs::path lock = dir / ".lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) fail_errno(dir, "cannot write to the output folder");
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    throw InputError(dir.string() + ": another oodbench run is writing to this folder");
  }
  const fs::path path = records_path(dir);
  const RecordsFile existing = read_records_file(dir, &warnings_);
  for (const nlohmann::json& r : existing.records) finished_.insert(r["cell"].get<std::string>());
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno(path, "cannot open for appending");
  // Cut a torn last line off, so that the next record starts on a line of its own.
  if (existing.whole_bytes < existing.size && ::ftruncate(fd_, static_cast<off_t>(existing.whole_bytes)) != 0)
    fail_errno(path, "cannot repair");
}

RecordStore::~RecordStore() {
  if (fd_ >= 0) ::close(fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

void RecordStore::append(const nlohmann::json& record) {
  const std::string line = record.dump() + "\n";
  const fs::path path = records_path(dir_);
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      // Take back a partial line so that the file holds whole records only.
      if (before >= 0) (void)!::ftruncate(fd_, before);  // best effort: the write already failed
      errno = err;
      fail_errno(path, "cannot append a record");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0) fail_errno(path, "cannot sync");
  finished_.insert(record["cell"].get<std::string>());
}

}  // namespace oodbench
