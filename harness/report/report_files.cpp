#include "harness/report/report_files.h"

#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "harness/io/atomic_write.h"
#include "harness/io/diagnostics.h"
#include "harness/io/file_checks.h"
#include "harness/sweep/record_store.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

namespace fs = std::filesystem;

/// A report's own file name: report.md, report.html or one file directly in tables/ or plots/. Nothing else is
/// ever removed, whatever a (hand-edited) list says.
bool is_report_file_name(const std::string& name) {
  if (name == "report.md" || name == "report.html") return true;
  for (const std::string folder : {"tables/", "plots/"})
    if (name.starts_with(folder) && name.size() > folder.size() && name.find('/', folder.size()) == std::string::npos &&
        name.substr(folder.size()) != "..")
      return true;
  return false;
}

/// Whether the folder's report.md was written by an oodbench that did not list its files yet.
bool has_unlisted_oodbench_report(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(records_path(dir), ec) || !fs::is_regular_file(dir / "report.md", ec)) return false;
  const std::string text = read_text_file((dir / "report.md").string()).substr(0, 200);
  return text.starts_with("# Results\n\n") && text.find(" cells; higher scores = more OOD.") != std::string::npos;
}

/// The files of the folder's last report; `adopted` for a folder reported into before the list existed.
struct OwnFiles {
  std::set<std::string> files;
  bool adopted = false;
};

OwnFiles own_files(const fs::path& dir) {
  const fs::path path = dir / kReportFilesList;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (!has_unlisted_oodbench_report(dir)) return {};
    return {{"report.md", "report.html"}, true};
  }
  const nlohmann::json list = nlohmann::json::parse(read_text_file(path.string()), nullptr, false);
  const auto bad = [&] {
    return InputError(path.string() + ": not oodbench's list of report files (expected {\"files\": [\"report.md\", "
                      "\"tables/...\", ...]}); delete it and the report files it named, then report again");
  };
  if (list.is_discarded() || !list.is_object() || !list.contains("files") || !list["files"].is_array()) throw bad();
  OwnFiles own;
  own.adopted = list.value("adopt_unlisted", false);  // set when the report of an adopted folder was removed
  for (const nlohmann::json& name : list["files"]) {
    if (!name.is_string() || !is_report_file_name(name.get<std::string>())) throw bad();
    own.files.insert(name.get<std::string>());
  }
  return own;
}

void write_list(const fs::path& dir, const std::set<std::string>& files, bool adopt_unlisted = false) {
  nlohmann::json list = {{"files", files}};
  if (adopt_unlisted) list["adopt_unlisted"] = true;
  write_text_atomic((dir / kReportFilesList).string(), list.dump(1) + "\n");
}

/// Refuses when `name` exists in `dir` but the report may not replace it.
void check_free(const fs::path& dir, const OwnFiles& own, const std::string& name) {
  std::error_code ec;
  if (own.adopted || own.files.count(name) || !fs::exists(dir / name, ec)) return;
  throw InputError((dir / name).string() + ": exists and was not written by oodbench (it is not in " +
                   (dir / kReportFilesList).string() + "), so the report will not replace it; move it elsewhere or " +
                   "write the results to another folder (--out)");
}

}  // namespace

void check_report_files_free(const fs::path& dir) {
  const OwnFiles own = own_files(dir);
  for (const std::string name : {"report.md", "report.html"}) check_free(dir, own, name);
}

void replace_report_files(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  const OwnFiles own = own_files(dir);
  std::set<std::string> names;
  for (const auto& [name, text] : files) {
    if (!is_report_file_name(name)) throw std::logic_error("not a report file name: " + name);
    check_free(dir, own, name);
    names.insert(name);
  }
  // Listed before they are written, so that a crash in between leaves no file of ours off the list.
  std::set<std::string> listed = own.files;
  listed.insert(names.begin(), names.end());
  write_list(dir, listed);
  fs::create_directories(dir / "tables");
  fs::create_directories(dir / "plots");
  for (const auto& [name, text] : files) write_text_atomic((dir / name).string(), text);
  for (const std::string& old : own.files) {
    std::error_code ec;
    if (!names.count(old)) fs::remove(dir / old, ec);
  }
  write_list(dir, names);
}

std::size_t remove_report_files(const fs::path& dir) {
  const OwnFiles own = own_files(dir);
  std::size_t removed = 0;
  std::error_code ec;
  for (const std::string& name : own.files) removed += fs::remove(dir / name, ec);
  // An empty list, not none: the next report still refuses files that are not its own. An adopted folder stays
  // adopted: with its report.md gone, nothing else would tell that its unlisted tables and plots are oodbench's.
  write_list(dir, {}, own.adopted);
  for (const char* folder : {"tables", "plots"}) fs::remove(dir / folder, ec);  // only if now empty
  return removed;
}

void remove_stale_report(const fs::path& dir) {
  if (const std::size_t removed = remove_report_files(dir); removed > 0)
    inform(dir.string() + ": removed the report made from records that no longer match the config (" +
           std::to_string(removed) + " files), so that the folder shows no numbers its config does not give");
}

}  // namespace oodbench
