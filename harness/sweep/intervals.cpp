#include "harness/sweep/intervals.h"

#include "harness/metrics/metrics_json.h"
#include "harness/sweep/kept_scores.h"
#include "harness/sweep/plan.h"
#include "kernels/error.h"

namespace oodbench {

void set_intervals(nlohmann::json& entry, const RankedScores& ranked, std::size_t resamples, const std::string& cell_id) {
  if (resamples == 0) {
    entry.erase("ci95");
    return;
  }
  const std::uint64_t seed = fnv1a64(cell_id + "/" + entry.at("name").get<std::string>());
  const MetricIntervals ci = ranked.bootstrap(resamples, seed);
  entry["ci95"] = {{"low", metrics_json(ci.low)}, {"high", metrics_json(ci.high)}};
}

std::optional<std::size_t> record_resamples(const nlohmann::json& record) {
  if (const auto b = record.find("bootstrap"); b != record.end() && b->is_number_unsigned()) return b->get<std::size_t>();
  for (const nlohmann::json& o : record.at("ood"))
    if (o.contains("ci95")) return std::nullopt;
  return 0;
}

RecordCheck interval_check(const std::filesystem::path& dir, std::size_t resamples, const Backend& backend) {
  return [dir, resamples, &backend](nlohmann::json& record) {
    if (record_resamples(record) == resamples) return RecordFate::keep;
    if (!has_kept_scores(record)) return RecordFate::set_aside;
    try {
      const KeptScores scores = read_kept_scores(dir, record);
      nlohmann::json sets = record.at("ood");  // a copy: a record set aside keeps its intervals as they were
      for (std::size_t k = 0; k < sets.size(); ++k) {
        const bool against_val = sets[k].value("id_side", "") == "val";  // a validation set of /select
        set_intervals(sets[k], RankedScores(against_val ? scores.id_val : scores.id, scores.ood.at(k), backend),
                      resamples, record.at("cell").get<std::string>());
      }
      record["ood"] = std::move(sets);
    } catch (const InputError&) {
      return RecordFate::set_aside;  // its score file is missing or changed: running the cell again writes it anew
    }
    record["bootstrap"] = resamples;
    return RecordFate::changed;
  };
}

}  // namespace oodbench
