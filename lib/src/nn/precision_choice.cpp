// What --precision auto picks for a model on a CPU, and why.
#include <string>

#include "charloom/model_config.hpp"

namespace charloom {
namespace {

// The narrowest layers at which bf16 recurrent kernels beat f32 by a margin worth its
// rounding; measured with bench-train-step on an AVX512-BF16 CPU (see docs/results.md).
constexpr int bf16_min_hidden = 128;

}  // namespace

PrecisionChoice choose_precision(const ModelConfig& model, const CpuFeatures& cpu) {
  const std::string width = std::to_string(model.hidden) + "-wide layers";
  if (!cpu.bf16) return {Precision::f32, "this CPU has no native bf16 (AVX512-BF16 or AMX)"};
  if (model.hidden < bf16_min_hidden)
    return {Precision::f32,
            width + " gain too little from bf16 (it pays from " + std::to_string(bf16_min_hidden) + ")"};
  return {Precision::bf16, "this CPU has native bf16 (AVX512-BF16 or AMX), and " + width + " gain from it"};
}

PrecisionChoice resolve_precision(Precision requested, const ModelConfig& model) {
  if (requested == Precision::automatic) return choose_precision(model, cpu_features());
  return {requested, "asked for"};
}

}  // namespace charloom
