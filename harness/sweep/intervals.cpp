#include "harness/sweep/intervals.h"

#include "harness/metrics/metrics_json.h"
#include "harness/sweep/kept_scores.h"
#include "harness/sweep/plan.h"
#include "kernels/error.h"

namespace oodbench {

void set_intervals(OodSetRecord& entry, const RankedScores& ranked, std::size_t resamples, const std::string& cell_id) {
  if (resamples == 0) {
    entry.ci95.reset();
    return;
  }
  const MetricIntervals ci = ranked.bootstrap(resamples, fnv1a64(cell_id + "/" + entry.name));
  entry.ci95 = Interval95{metric_values(metrics_json(ci.low)), metric_values(metrics_json(ci.high))};
}

std::optional<std::size_t> record_resamples(const CellRecord& record) {
  if (record.bootstrap) return record.bootstrap;
  for (const OodSetRecord& set : record.ood)
    if (set.ci95) return std::nullopt;
  return 0;
}

RecordCheck interval_check(const std::filesystem::path& dir, std::size_t resamples, const Backend& backend) {
  return [dir, resamples, &backend](CellRecord& record) {
    if (record_resamples(record) == resamples) return RecordFate::keep;
    if (!has_kept_scores(record)) return RecordFate::set_aside;
    CellRecord typed = record;
    try {
      const KeptScores scores = read_kept_scores(dir, typed);
      for (std::size_t k = 0; k < typed.ood.size(); ++k) {
        OodSetRecord& set = typed.ood[k];
        const bool against_val = set.id_side == "val";  // a validation set of /select
        set_intervals(set, RankedScores(against_val ? scores.id_val : scores.id, scores.ood.at(k), backend),
                      resamples, typed.cell);
      }
    } catch (const InputError&) {
      return RecordFate::set_aside;  // its score file is missing or changed: running the cell again writes it anew
    }
    typed.bootstrap = resamples;
    record = std::move(typed);  // a record set aside above keeps its intervals as they were
    return RecordFate::changed;
  };
}

}  // namespace oodbench
