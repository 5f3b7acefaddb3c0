// evaluate-model: how well a language model predicts a text, as one JSON object, or as one
// JSON record per line with --per-line.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <iostream>

#include "charloom/corpus.hpp"
#include "charloom/errors.hpp"
#include "charloom/scoring.hpp"
#include "common/cli.hpp"

namespace {

using namespace charloom;
namespace po = cli::po;
using json = nlohmann::ordered_json;

// Figures that share a name with train-model's summary mean the same thing.
void add_figures(json& out, const TextScore& score) {
  out["characters"] = score.units_scored;  // the name the first releases used
  out["units_scored"] = score.units_scored;
  out["nats"] = score.nats;
  if (score.units_scored == 0) {
    out["nats_per_char"] = nullptr;
    out["bits_per_char"] = nullptr;
    out["perplexity"] = nullptr;
  } else {
    out["nats_per_char"] = score.nats_per_unit();
    out["bits_per_char"] = score.bits_per_unit();
    out["perplexity"] = score.perplexity();
  }
}

// One JSONL record per line; "unknown_units" only where the line has some.
void print_line(const LineScore& line) {
  json record{{"file", line.file}, {"line", line.line}, {"units", line.units}};
  if (line.unknown_units > 0) record["unknown_units"] = line.unknown_units;
  record["units_scored"] = line.score.units_scored;
  record["nats"] = line.score.nats;
  record["nats_per_char"] = line.score.units_scored ? json(line.score.nats_per_unit()) : json(nullptr);
  record["bits_per_char"] = line.score.units_scored ? json(line.score.bits_per_unit()) : json(nullptr);
  cli::write_stdout(cli::json_text(record) + "\n");
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("evaluate-model", [&] {
    std::string split = "all";
    cli::ModelFlags model_flags;
    std::vector<std::string> files;
    int batch_size = 64, seq_length = 100;
    cli::ComputeFlags compute;
    double val_fraction = 0.1;
    bool per_line = false;
    po::options_description flags("evaluate-model options");
    // clang-format off
    flags.add_options()
        ("input", po::value(&files)->multitoken(), "text file(s) to score, concatenated; none or - reads stdin")
        ("per-line", po::bool_switch(&per_line), "score each line alone from the zero state; JSONL, one record per line")
        ("split", po::value(&split)->default_value(split),
         "all, or train / val: the part of the text train-model trained / validated on")
        ("val-fraction", po::value(&val_fraction),
         "with --split: the validated fraction (default: the model's own, else 0.1)")
        ("batch-size", po::value(&batch_size),
         "parallel streams (default: the model's training batch with --split train/val, else 64)")
        ("seq-length", po::value(&seq_length),
         "steps per call (default: the model's training length with --split train/val, else 100)")
        ("help,h", "show this help");
    // clang-format on
    compute.add_to(flags);
    model_flags.add_to(flags, "shakespeare");
    po::positional_options_description positional;
    positional.add("input", -1);
    po::variables_map values;
    if (!cli::parse(argc, argv, flags, positional, values, "evaluate-model [--model NAME|FILE] [FILE...]")) return 0;
    if (model_flags.list_if_asked()) return 0;
    if (split != "all" && split != "train" && split != "val")
      throw UsageError("--split must be all, train or val, got '" + split + "'");
    if (per_line && split != "all") throw UsageError("--per-line scores whole files; drop --split");
    if (files.empty()) files.push_back("-");
    const Precision precision = compute.apply("evaluate-model");

    const std::string model_path = model_flags.path();
    LanguageModel model = LanguageModel::load(model_path, precision);
    // A split is scored exactly as train-model validated it: same fraction, streams and steps.
    const json training = json::parse(model.training_json(), nullptr, false);
    const auto from_training = [&](const char* key, auto fallback) {
      return training.is_object() && training.contains(key) ? training[key].get<decltype(fallback)>() : fallback;
    };
    if (split != "all") {
      if (!values.count("batch-size")) batch_size = from_training("batch_size", batch_size);
      if (!values.count("seq-length")) seq_length = from_training("seq_length", seq_length);
      if (!values.count("val-fraction")) val_fraction = from_training("val_fraction", val_fraction);
    }
    cli::checked_range("batch-size", batch_size, 1, 65536);
    cli::checked_range("seq-length", seq_length, 1, 100000);

    if (per_line) {
      LineScorer scorer(model, batch_size, print_line);
      for (const std::string& file : files) scorer.score_file(file);
      return 0;
    }

    const TokenIds ids = encode_files(files, model.config().text, model.vocabulary());
    std::size_t begin = 0, end = ids.size();
    if (split != "all") {
      const CorpusSplit parts = split_corpus(ids.size(), val_fraction);
      begin = split == "train" ? parts.train_begin : parts.val_begin;
      end = split == "train" ? parts.train_end : parts.val_end;
    }
    std::uint64_t unknown = 0;  // in the part scored
    for (std::size_t i = begin; i < end; ++i) unknown += ids[i] == Vocabulary::unknown_id;
    const auto start = std::chrono::steady_clock::now();
    const TextScore score = score_span(model, ids, begin, end, batch_size, seq_length);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    json out{{"model", model_flags.model}, {"model_file", model_path}, {"files", files}, {"split", split},
             {"units", end - begin},       {"unknown_units", unknown}};
    add_figures(out, score);
    out["batch_size"] = batch_size;
    out["seq_length"] = seq_length;
    if (split != "all") out["val_fraction"] = val_fraction;
    out["seconds"] = seconds;  // scoring alone, without reading the text
    out["chars_per_second"] = seconds > 0 ? static_cast<double>(score.units_scored) / seconds : 0.0;
    cli::write_stdout(cli::json_text(out, 2) + "\n");
    return 0;
  });
}
