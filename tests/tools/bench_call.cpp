// bench-call: the C++ side of scripts/bench-python.py. Median microseconds of one generate()
// call of one unit after a short prime, on a model by name or path, through the public API.
//
//   bench-call [--model shakespeare] [--calls 1000] [--runs 5] [--prime ROMEO:]
#include <cstdio>
#include <string>

#include "bench_flags.hpp"
#include "bench_timing.hpp"
#include "charloom/generation.hpp"
#include "charloom/model_catalog.hpp"

using namespace charloom;
using namespace charloom::bench;

int main(int argc, char** argv) {
  std::string name = "shakespeare", prime_text = "ROMEO:";
  int calls = 1000, runs = 5;
  for (const auto& [flag, value] : read_flags(argc, argv, {})) {
    if (flag == "--calls")
      calls = std::stoi(value);
    else if (flag == "--runs")
      runs = std::stoi(value);
    else if (flag == "--prime")
      prime_text = value;
    else if (flag == "--model")
      name = value;
    else
      refuse_flag("bench-call", flag);
  }
  LanguageModel model = LanguageModel::load(resolve_model(name));
  const std::vector<std::uint32_t> prime = model.encode(prime_text, UnknownPolicy::error);
  GenerationOptions options;
  options.length = 1;
  std::string text;
  const double seconds = median_seconds(runs, [&] {
    for (int call = 0; call < calls; ++call) {
      options.seed = static_cast<std::uint64_t>(call);
      text.clear();
      generate(
          model, prime, options,
          [&](int, std::string_view piece) {
            text += piece;
            return true;
          },
          [](int, const SampleEnd&) {});
    }
  });
  std::printf("{\"us_per_generate_call\": %.2f, \"calls\": %d, \"runs\": %d}\n", seconds / calls * 1e6, calls, runs);
  return 0;
}
