// Command-line reading shared by the benchmark tools: `--flag value` pairs, bare switches,
// and the model-shape flags every tool takes.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "charloom/model_config.hpp"

namespace charloom::bench {

// The flags in order; a switch named in `switches` (such as --json) takes no value and reads "1".
inline std::vector<std::pair<std::string, std::string>> read_flags(int argc, char** argv,
                                                                   const std::vector<std::string>& switches = {}) {
  std::vector<std::pair<std::string, std::string>> flags;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    bool is_switch = false;
    for (const std::string& name : switches) is_switch = is_switch || name == flag;
    if (is_switch) {
      flags.emplace_back(flag, "1");
    } else if (i + 1 < argc) {
      flags.emplace_back(flag, argv[++i]);
    } else {
      std::fprintf(stderr, "%s: %s needs a value\n", argv[0], flag.c_str());
      std::exit(2);
    }
  }
  return flags;
}

// Ends a tool that was given a flag it does not know: a benchmark that ran without the
// setting its caller asked for would print figures for another case.
[[noreturn]] inline void refuse_flag(const char* tool, const std::string& flag) {
  std::fprintf(stderr, "%s: unknown flag %s; its flags are listed at the top of its source\n", tool, flag.c_str());
  std::exit(2);
}

// Applies --cell, --hidden, --layers or --embedding-size to `config`; false for any other flag.
inline bool apply_shape_flag(ModelConfig& config, const std::string& flag, const std::string& value) {
  if (flag == "--cell")
    config.cell = parse_cell_kind(value);
  else if (flag == "--hidden")
    config.hidden = std::stoi(value);
  else if (flag == "--layers")
    config.layers = std::stoi(value);
  else if (flag == "--embedding-size")
    config.embedding_size = std::stoi(value);
  else
    return false;
  return true;
}

// "f32,bf16" as the precisions it lists, in order.
inline std::vector<Precision> parse_precision_list(const std::string& value) {
  std::vector<Precision> precisions;
  for (std::size_t from = 0; from <= value.size();) {
    const std::size_t comma = std::min(value.find(',', from), value.size());
    precisions.push_back(parse_precision(value.substr(from, comma - from)));
    from = comma + 1;
  }
  return precisions;
}

}  // namespace charloom::bench
