// `oodbench report`: everything a paper needs from a result folder's records alone: tables/<name>.{md,csv,json,tex},
// plots/*.svg, report.md (all Markdown tables with links to the plots) and report.html (one self-contained page). Settings (metrics, formats, plots) come
// from the folder's config.json, written by `run`. Every file is written atomically and listed in report_files.json;
// files of an earlier report that this one no longer makes are removed, files oodbench did not write never are
// (report_files.h). A report of part of its plan (plan.json) says so on top and in a warning. It holds the folder's
// lock (FolderLock) while it reads the records and writes, as `run` and `merge` do.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace oodbench {

struct ReportSummary {
  std::size_t records = 0;
  std::size_t tables = 0;
  std::size_t plots = 0;
  std::vector<std::string> warnings;
};

ReportSummary write_report(const std::filesystem::path& dir);

}  // namespace oodbench
