// The files of a result folder that oodbench's report wrote (report.md, report.html, tables/*, plots/*), listed in
// <dir>/report_files.json, so that a report replaces and removes only its own files, never a researcher's beside them,
// and a run that sets records aside can take the report made from them away.
//
// A folder reported into before the list existed (no list, but a records file and a report.md that oodbench wrote)
// is adopted: its files the new report writes are replaced, nothing else is removed. Removing its report keeps it
// adopted ("adopt_unlisted" in the list) until the next report.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace oodbench {

inline constexpr const char* kReportFilesList = "report_files.json";

/// Refuses, with an InputError naming the file and what to do, when report.md or report.html (written by every
/// report) exists in `dir` and is not oodbench's: for `run` and `merge` to check before any work.
void check_report_files_free(const std::filesystem::path& dir);

/// Writes `files` ((path relative to `dir`, text); each atomically) and lists them, after refusing as above, before
/// writing any, when one of them exists and is not oodbench's; removes the files of the last report it no longer makes.
void replace_report_files(const std::filesystem::path& dir,
                          const std::vector<std::pair<std::string, std::string>>& files);

/// Removes the files of the folder's last report, leaving an empty list; returns how many files it removed.
std::size_t remove_report_files(const std::filesystem::path& dir);

/// remove_report_files for a run that has just moved records aside (so that the folder shows no numbers its config
/// does not give), saying so in one line on stderr.
void remove_stale_report(const std::filesystem::path& dir);

}  // namespace oodbench
