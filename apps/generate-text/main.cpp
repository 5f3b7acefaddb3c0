// generate-text: samples text from a language model and streams it to stdout, as text or
// as one JSON record per sample.
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <random>

#include "charloom/errors.hpp"
#include "charloom/generation.hpp"
#include "common/cli.hpp"

namespace {

using namespace charloom;
namespace po = cli::po;

// Writes to stdout at once; false once the reader has gone (a closed pipe), so that sampling
// stops and the run ends quietly. Any other failure is an error.
bool write_out(std::string_view text) {
  try {
    cli::write_stdout_now(text);
    return true;
  } catch (const cli::ClosedPipe&) {
    return false;
  }
}

// Samples finish in any order but are printed in order: the earliest unfinished one streams
// live, later ones wait in a buffer until their turn.
class OrderedOutput {
 public:
  OrderedOutput(int samples, bool jsonl, std::string prime, bool echo_prime, std::uint64_t seed)
      : jsonl_(jsonl),
        echo_prime_(echo_prime),
        prime_(std::move(prime)),
        seed_(seed),
        texts_(samples),
        ends_(samples),
        ended_(samples, 0) {}

  bool text(int sample, std::string_view piece) {
    texts_[sample] += piece;
    if (jsonl_ || sample != current_) return true;
    if (!started_ && !begin_sample()) return false;
    texts_[sample].clear();
    return write_out(piece);
  }

  bool end(int sample, const SampleEnd& end) {
    ends_[sample] = end;
    ended_[sample] = 1;
    while (current_ < static_cast<int>(ended_.size()) && ended_[current_]) {
      if (!finish_sample()) return false;
      ++current_;
      started_ = false;
    }
    // The next sample streams from here on: print what it has so far.
    if (!jsonl_ && current_ < static_cast<int>(ended_.size()) && !texts_[current_].empty()) {
      if (!begin_sample() || !write_out(texts_[current_])) return false;
      texts_[current_].clear();
    }
    return true;
  }

 private:
  bool begin_sample() {
    started_ = true;
    return write_out(current_ > 0 ? "\n" : "") && (!echo_prime_ || write_out(prime_));
  }

  bool finish_sample() {
    const int i = current_;
    if (jsonl_) {
      nlohmann::ordered_json record{
          {"sample", i},       {"seed", seed_},           {"prime", prime_},
          {"text", texts_[i]}, {"units", ends_[i].units}, {"stop_reason", to_string(ends_[i].reason)}};
      if (ends_[i].reason == StopReason::stop_string) record["stop"] = ends_[i].stop;
      return write_out(cli::json_text(record) + "\n");
    }
    if (!started_ && !begin_sample()) return false;
    if (!write_out(texts_[i])) return false;
    // A sample ends its line, so the shell prompt (or the next sample) starts on a new one.
    return write_out("\n");
  }

  bool jsonl_, echo_prime_;
  std::string prime_;
  std::uint64_t seed_;
  std::vector<std::string> texts_;
  std::vector<SampleEnd> ends_;
  std::vector<char> ended_;
  int current_ = 0;
  bool started_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  return cli::run("generate-text", [&] {
    GenerationOptions options;
    std::string prime, prime_file, unknown = "error", format = "text";
    cli::ModelFlags model_flags;
    std::uint64_t seed = 0;
    cli::ComputeFlags compute;
    bool hide_prime = false;
    po::options_description flags("generate-text options");
    // clang-format off
    flags.add_options()
        ("prime", po::value(&prime), "text to run through the model before sampling")
        ("prime-file", po::value(&prime_file), "read the prime from a file")
        ("unknown", po::value(&unknown)->default_value(unknown), "prime units the model never saw: error or skip")
        ("hide-prime", po::bool_switch(&hide_prime), "print only the generated text, not the prime before it")
        ("length", po::value(&options.length)->default_value(options.length), "units to generate per sample")
        ("temperature", po::value(&options.sampling.temperature)->default_value(options.sampling.temperature),
         "softmax temperature; 0 picks the most likely unit")
        ("top-k", po::value(&options.sampling.top_k)->default_value(options.sampling.top_k),
         "sample from the k most likely units (0 = all)")
        ("top-p", po::value(&options.sampling.top_p)->default_value(options.sampling.top_p),
         "sample from the smallest set of units whose probability reaches p")
        ("seed", po::value(&seed), "random seed (default: a fresh one, reported in jsonl output)")
        ("samples", po::value(&options.samples)->default_value(options.samples), "samples drawn together as one batch")
        ("stop", po::value(&options.stops)->composing(), "end a sample at the first match of this string (repeatable)")
        ("format", po::value(&format)->default_value(format), "text, or jsonl (one record per sample)")
        ("help,h", "show this help");
    // clang-format on
    compute.add_to(flags);
    model_flags.add_to(flags, "shakespeare");
    po::positional_options_description positional;
    po::variables_map values;
    if (!cli::parse(argc, argv, flags, positional, values, "generate-text [--model NAME|FILE] [options]")) return 0;
    if (model_flags.list_if_asked()) return 0;
    if (format != "text" && format != "jsonl") throw UsageError("--format must be text or jsonl, got '" + format + "'");
    if (!prime.empty() && !prime_file.empty()) throw UsageError("pass --prime or --prime-file, not both");
    options.seed = values.count("seed") ? seed : std::random_device{}();
    options.validate();
    const UnknownPolicy policy = parse_unknown_policy(unknown);
    const Precision precision = compute.apply("generate-text");

    LanguageModel model = LanguageModel::load(model_flags.path(), precision);
    std::vector<std::uint32_t> prime_ids;
    if (!prime_file.empty()) prime = cli::read_text_file(prime_file);
    try {
      prime_ids = model.encode(prime, policy, prime_file.empty() ? "--prime" : prime_file);
    } catch (const UnknownUnitsError& error) {
      throw UsageError(std::string(error.what()) + "; pass --unknown=skip to drop them");
    } catch (const InputError& error) {
      if (!prime_file.empty()) throw;
      throw UsageError(error.what());  // the fix is in the arguments
    }

    OrderedOutput output(options.samples, format == "jsonl", prime, !hide_prime, options.seed);
    bool reader_gone = false;
    generate(
        model, prime_ids, options,
        [&](int sample, std::string_view text) {
          if (!reader_gone && !output.text(sample, text)) reader_gone = true;
          return !reader_gone;  // false cancels every sample
        },
        [&](int sample, const SampleEnd& end) {
          if (!reader_gone) reader_gone = !output.end(sample, end);
        });
    return 0;
  });
}
