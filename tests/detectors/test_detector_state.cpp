// StateIO round trips (every field type and composite saves and loads back bit for bit, and a load refuses arrays of
// the wrong kind or inconsistent shapes), and model files through save_model / load_model. Every detector's
// fit --save / score --model on real data is tests/cli/test_model_files.py.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <unistd.h>

#include "harness/detectors/detector_state.h"
#include "harness/detectors/model_file.h"
#include "harness/io/npy.h"
#include "harness/io/npz.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

template <class T>
Matrix<T> counting(std::size_t rows, std::size_t cols, T step) {
  Matrix<T> m(rows, cols);
  for (std::size_t i = 0; i < m.data.size(); ++i) m.data[i] = static_cast<T>(i) * step - T{1};
  return m;
}

/// Saves with `save`, then loads into fresh values with `load` from the saved arrays.
template <class Save, class Load>
void round_trip(Save save, Load load) {
  StateIO saver = StateIO::saver();
  save(saver);
  std::map<std::string, std::vector<std::byte>> stored;
  for (const auto& [name, bytes] : saver.members()) stored[name] = bytes;
  StateIO loader = StateIO::loader(
      [&](const std::string& name) {
        const auto it = stored.find(name);
        if (it == stored.end()) throw InputError("missing " + name);
        return parse_npy(it->second, name);
      },
      "test.oodb", "refit");
  load(loader);
  EXPECT_EQ(saver.manifest(), loader.manifest());
}

TEST(StateIO, ScalarsVectorsAndMatricesRoundTripExactly) {
  Matrix<float> mf = counting<float>(3, 4, 0.1f), mf_in;
  Matrix<double> md = counting<double>(2, 5, 1e-3), md_in, empty, empty_in;
  std::vector<double> vd{1e-300, -2.5, 3}, vd_in;
  std::vector<float> vf{0.1f, -0.2f}, vf_in;
  double d = 1.0 / 3, d_in = 0;
  float f = 2.0f / 3, f_in = 0;
  std::int64_t i = -7, i_in = 0;
  std::size_t n = 12345678901, n_in = 0;
  bool b = true, b_in = false;
  std::string s = "raw ünïcode", s_in;
  round_trip(
      [&](StateIO& io) {
        io.field("mf", mf), io.field("md", md), io.field("empty", empty), io.field("vd", vd), io.field("vf", vf);
        io.field("d", d), io.field("f", f), io.field("i", i), io.field("n", n), io.field("b", b), io.field("s", s);
      },
      [&](StateIO& io) {
        io.field("mf", mf_in), io.field("md", md_in), io.field("empty", empty_in), io.field("vd", vd_in);
        io.field("vf", vf_in), io.field("d", d_in), io.field("f", f_in), io.field("i", i_in), io.field("n", n_in);
        io.field("b", b_in), io.field("s", s_in);
      });
  EXPECT_EQ(mf_in.data, mf.data);
  EXPECT_EQ(mf_in.rows, 3u);
  EXPECT_EQ(mf_in.cols, 4u);
  EXPECT_EQ(md_in.data, md.data);
  EXPECT_EQ(empty_in.rows, 0u);
  EXPECT_EQ(vd_in, vd);
  EXPECT_EQ(vf_in, vf);
  EXPECT_EQ(d_in, d);
  EXPECT_EQ(f_in, f);
  EXPECT_EQ(i_in, i);
  EXPECT_EQ(n_in, n);
  EXPECT_EQ(b_in, b);
  EXPECT_EQ(s_in, s);
}

TEST(StateIO, CompositesWriteTheirPartsUnderTheirName) {
  LinearHead head{counting<float>(3, 4, 0.5f), {1, 2, 3}}, head_in;
  Whitening w{counting<double>(2, 4, 0.25), 1}, w_in;
  Standardization st{{1, 2}, {3, 4}}, st_in;
  SymmetricEigen eig{{1, 2}, counting<double>(2, 2, 1)}, eig_in;
  Autoencoder ae, ae_in;
  ae.params = AutoencoderParams<float>::zeros(6, 4, 2);
  ae.params.weight[1] = counting<float>(2, 4, 0.1f);
  ae.params.bias[3] = {1, 2, 3, 4, 5, 6};
  ae.preprocessing = Preprocessing::standardize;
  ae.standardization = {std::vector<double>(6, 0.5), std::vector<double>(6, 2.0)};
  ae.epoch_losses = {0.5, 0.25};
  ae.best_epoch = 1;
  StateIO saver = StateIO::saver();
  saver.field("head", head);
  EXPECT_EQ(saver.members().at(0).first, "head/weight");
  EXPECT_EQ(saver.members().at(1).first, "head/bias");
  round_trip(
      [&](StateIO& io) {
        io.field("head", head), io.field("w", w), io.field("st", st), io.field("eig", eig), io.field("ae", ae);
      },
      [&](StateIO& io) {
        io.field("head", head_in), io.field("w", w_in), io.field("st", st_in), io.field("eig", eig_in);
        io.field("ae", ae_in);
      });
  EXPECT_EQ(head_in.weight.data, head.weight.data);
  EXPECT_EQ(head_in.bias, head.bias);
  EXPECT_EQ(w_in.rows.data, w.rows.data);
  EXPECT_EQ(w_in.unresolved, 1u);
  EXPECT_EQ(st_in.mean, st.mean);
  EXPECT_EQ(st_in.scale, st.scale);
  EXPECT_EQ(eig_in.values, eig.values);
  EXPECT_EQ(eig_in.vectors.data, eig.vectors.data);
  for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k) {
    EXPECT_EQ(ae_in.params.weight[k].data, ae.params.weight[k].data);
    EXPECT_EQ(ae_in.params.weight[k].rows, ae.params.weight[k].rows);
    EXPECT_EQ(ae_in.params.bias[k], ae.params.bias[k]);
  }
  EXPECT_EQ(ae_in.preprocessing, Preprocessing::standardize);
  EXPECT_EQ(ae_in.standardization.mean, ae.standardization.mean);
  EXPECT_EQ(ae_in.epoch_losses, ae.epoch_losses);
  EXPECT_EQ(ae_in.best_epoch, 1u);
}

TEST(StateIO, ContextRefOwnsWhatItLoads) {
  const Matrix<float> shared = counting<float>(2, 2, 1.0f);
  ContextRef<Matrix<float>> ref, loaded;
  ref.borrow(shared);
  EXPECT_EQ(&*ref, &shared);
  round_trip([&](StateIO& io) { io.field("train", ref); }, [&](StateIO& io) { io.field("train", loaded); });
  EXPECT_NE(&*loaded, &shared);
  EXPECT_EQ(loaded->data, shared.data);
}

/// The message of the InputError a load of `stored` into `load` throws.
template <class Load>
std::string load_error(const std::map<std::string, std::vector<std::byte>>& stored, Load load) {
  StateIO io = StateIO::loader([&](const std::string& name) { return parse_npy(stored.at(name), name); }, "m.oodb",
                               "refit it");
  try {
    load(io);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(StateIO, LoadRefusesWrongKindsAndInconsistentShapes) {
  const std::vector<float> three{1, 2, 3};
  const std::size_t shape3[] = {3}, shape23[] = {2, 3};
  const std::vector<double> six(6, 1.0);
  std::map<std::string, std::vector<std::byte>> stored = {
      {"m", encode_npy(std::span<const float>(three), shape3)},
      {"head/weight", encode_npy(std::span<const double>(six), shape23)}};
  Matrix<float> m;
  const std::string kind = load_error(stored, [&](StateIO& io) { io.field("m", m); });
  EXPECT_NE(kind.find("m.oodb: state field 'm': expected a 2-D float32 array, found a 1-D float32 array of shape (3,)"),
            std::string::npos) << kind;
  EXPECT_NE(kind.find("refit it"), std::string::npos);

  const std::vector<float> weights(6, 1.0f);
  stored["head/weight"] = encode_npy(std::span<const float>(weights), shape23);
  stored["head/bias"] = encode_npy(std::span<const float>(three), shape3);
  LinearHead head;
  const std::string head_error = load_error(stored, [&](StateIO& io) { io.field("head", head); });
  EXPECT_NE(head_error.find("'head/bias': expected 2 entries (one per row of head/weight), found 3"), std::string::npos)
      << head_error;
}

class ModelFile : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = "oodbench_model_" + std::to_string(::getpid()) + ".oodb";
    path_ = (std::filesystem::temp_directory_path() / name).string();
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::unique_ptr<Backend> backend_ = make_cpu_backend();
  std::string path_;
  /// A front end's wording, each part told apart in messages.
  const ModelWording wording_{.reader = "READER",
                              .writer = "WRITER",
                              .refit = [](const std::string& detector,
                                          const std::string& path) { return "REFIT(" + detector + ", " + path + ")"; },
                              .first_save = "FIRST_SAVE"};
};

TEST_F(ModelFile, SavedDetectorScoresBitIdenticallyAfterLoading) {
  FitContext ctx(*backend_, counting<float>(20, 3, 0.37f), {});
  const DetectorEntry& entry = find_detector("knn");
  const nlohmann::json params = {{"k", 3}};
  auto fitted = make_fitted_detector(entry, params, ctx, "test");
  save_model(path_, entry, params, *fitted, provenance_of(ctx));
  const Matrix<float> test = counting<float>(4, 3, 0.21f);
  const std::vector<float> expected = fitted->score(test, *backend_);

  LoadedModel model = load_model(path_, wording_);
  EXPECT_EQ(model.entry, &entry);
  EXPECT_EQ(model.dims, 3u);
  EXPECT_EQ(model.params, nlohmann::json({{"k", 3}}));
  EXPECT_EQ(model.meta["train_hash"], provenance_of(ctx).train_hash);
  EXPECT_EQ(model.detector->score(test, *backend_), expected);
  try {
    check_model_width(model, path_, 5, "narrow.npy");
    FAIL() << "a width mismatch loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("narrow.npy: 5 columns but the model " + path_ + " was fitted on 3-column"),
              std::string::npos) << e.what();
  }
}

TEST_F(ModelFile, TruncatedFileIsAnInputErrorNamingIt) {
  FitContext ctx(*backend_, counting<float>(20, 3, 0.37f), {});
  const DetectorEntry& entry = find_detector("pca");
  auto fitted = make_fitted_detector(entry, nullptr, ctx, "test");
  save_model(path_, entry, nullptr, *fitted, provenance_of(ctx));
  std::filesystem::resize_file(path_, std::filesystem::file_size(path_) / 2);
  try {
    load_model(path_, wording_);
    FAIL() << "a truncated model loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("refit"), std::string::npos) << e.what();
  }
}

TEST_F(ModelFile, FaultsAreWordedByTheFrontEnd) {
  const std::vector<float> values = {1.0f, 2.0f};
  const std::size_t shape[1] = {values.size()};
  const auto message = [&] {
    try {
      load_model(path_, wording_);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    ADD_FAILURE() << "loaded";
    return std::string();
  };
  write_npz(path_, {{"scores", encode_npy(values, shape)}}, /*compress=*/false);
  EXPECT_NE(message().find("give READER a file written by WRITER"), std::string::npos) << message();
  const std::string meta = R"({"format": "another", "detector": "knn"})";
  const std::size_t meta_shape[1] = {meta.size()};
  write_npz(path_,
            {{"model.json", encode_npy(std::span(reinterpret_cast<const std::uint8_t*>(meta.data()), meta.size()),
                                       meta_shape)}},
            /*compress=*/false);
  EXPECT_NE(message().find("REFIT(knn, " + path_ + ")"), std::string::npos) << message();
  { std::ofstream(path_, std::ios::binary | std::ios::trunc) << "not an archive"; }
  EXPECT_NE(message().find("written by WRITER; if it was cut short or damaged, refit with this oodbench ("),
            std::string::npos) << message();
  EXPECT_NE(message().find("REFIT(, " + path_ + ")"), std::string::npos) << message();
  {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    const std::vector<std::byte> npy = encode_npy(values, shape);
    out.write(reinterpret_cast<const char*>(npy.data()), static_cast<std::streamsize>(npy.size()));
  }
  EXPECT_NE(message().find("not an oodbench model (.oodb); fit a detector and save it: FIRST_SAVE"),
            std::string::npos) << message();
}

}  // namespace
}  // namespace oodbench
