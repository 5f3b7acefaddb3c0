// Learning-rate schedules as pure functions of the step, so a resumed run continues exactly.
#include "train/schedule.hpp"

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"

namespace charloom::train {
namespace {
std::int64_t cosine_horizon(const TrainingConfig& config) {
  return config.lr_decay_iters > 0 ? config.lr_decay_iters : config.max_iters;
}
}  // namespace

void validate_schedule(const TrainingConfig& config) {
  if (config.lr_schedule == "constant" || config.lr_schedule == "auto") return;
  if (config.lr_schedule == "step") {
    if (config.lr_decay_every <= 0) throw UsageError("--lr-schedule step needs --lr-decay-every N (iterations)");
    return;
  }
  // auto decays like cosine once the trainer has set a horizon, and is constant before.
  if (config.lr_schedule == "cosine" || (config.lr_schedule == "auto" && config.lr_decay_iters > 0)) {
    if (cosine_horizon(config) <= 0) throw UsageError("--lr-schedule cosine needs --max-iters or --lr-decay-iters");
    return;
  }
  throw UsageError("unknown --lr-schedule '" + config.lr_schedule + "'; use auto, constant, step or cosine");
}

double learning_rate_at(const TrainingConfig& config, std::int64_t step) {
  const double peak = config.learning_rate;
  if (step < config.warmup_iters)
    return peak * static_cast<double>(step + 1) / static_cast<double>(config.warmup_iters);
  if (config.lr_schedule == "step")
    return peak * std::pow(config.lr_decay_rate, std::floor(static_cast<double>(step) / config.lr_decay_every));
  // auto decays like cosine once the trainer has set a horizon, and is constant before.
  if (config.lr_schedule == "cosine" || (config.lr_schedule == "auto" && config.lr_decay_iters > 0)) {
    const double span = static_cast<double>(std::max<std::int64_t>(1, cosine_horizon(config) - config.warmup_iters));
    const double progress = std::min(1.0, static_cast<double>(step - config.warmup_iters) / span);
    const double floor = peak * config.min_lr_fraction;
    return floor + (peak - floor) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
  }
  return peak;
}

}  // namespace charloom::train
