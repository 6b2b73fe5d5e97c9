#include "harness/sweep/kept_scores.h"

#include <algorithm>

#include "harness/io/array_convert.h"
#include "harness/io/content_hash.h"
#include "harness/io/npy.h"
#include "harness/io/npz.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

std::string scores_hash(const KeptScores& s) {
  std::string hashes = content_hash(s.id);
  for (const auto& o : s.ood) {
    hashes += ' ';
    hashes += content_hash(o);
  }
  if (!s.id_val.empty()) hashes += " id_val " + content_hash(s.id_val);  // only when kept: older files' hashes hold
  return content_hash(hashes);
}

std::string ood_key(const std::string& name) { return "ood/" + name; }

std::vector<std::byte> encoded(const std::vector<double>& v) {
  const std::size_t shape[] = {v.size()};
  return encode_npy(v, shape);
}

}  // namespace

KeptScoresRef write_kept_scores(const std::filesystem::path& dir, const std::string& cell_id,
                                 const std::vector<std::string>& ood_names, const KeptScores& scores) {
  std::vector<std::pair<std::string, std::vector<std::byte>>> members;
  members.emplace_back("id", encoded(scores.id));
  for (std::size_t j = 0; j < scores.ood.size(); ++j) members.emplace_back(ood_key(ood_names.at(j)), encoded(scores.ood[j]));
  if (!scores.id_val.empty()) members.emplace_back("id_val", encoded(scores.id_val));
  const std::string file = "scores/" + cell_id + ".npz";
  std::filesystem::create_directories(dir / "scores");
  write_npz((dir / file).string(), members, /*compress=*/true);
  return {file, ood_names, scores_hash(scores), !scores.id_val.empty()};
}

bool has_kept_scores(const CellRecord& record) { return record.scores.has_value(); }

KeptScores read_kept_scores(const std::filesystem::path& dir, const CellRecord& record) {
  const std::string label = record.label + " on " + record.dataset.name;
  if (!has_kept_scores(record)) {
    throw InputError((dir / "records.jsonl").string() + ": cell " + record.cell + " (" +
                     label + ") has no per-sample scores; add \"keep_scores\": true to the config and run it "
                     "again");
  }
  const std::string path = (dir / record.scores->file).string();
  const std::vector<std::string>& names = record.scores->sets;
  KeptScores all;  // every set the cell scored, as hashed
  all.id = to_scores(load_npz_member(path, "id"));
  for (const std::string& name : names) all.ood.push_back(to_scores(load_npz_member(path, ood_key(name))));
  if (record.scores->id_val) all.id_val = to_scores(load_npz_member(path, "id_val"));
  if (scores_hash(all) != record.scores->hash) {
    throw InputError(path + ": does not hold the scores its record (" + label + ") was computed from (the file was " +
                     "changed or comes from another run); delete the folder's records of that cell and run again");
  }
  KeptScores s{std::move(all.id), {}, std::move(all.id_val)};  // the sets the record lists now (a report may leave
                                                                 // validation sets out)
  for (const OodSetRecord& o : record.ood) {
    const auto at = std::find(names.begin(), names.end(), o.name);
    if (at == names.end()) throw InputError(path + ": has no scores of OOD set " + nlohmann::json(o.name).dump());
    s.ood.push_back(std::move(all.ood[static_cast<std::size_t>(at - names.begin())]));
  }
  return s;
}

}  // namespace oodbench
