// Learning-rate schedules as pure functions of the step, so a resumed run continues exactly.
#include "train/schedule.hpp"

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"

namespace charloom::train {
namespace {
std::int64_t cosine_horizon(const ScheduleSettings& config) {
  return config.lr_decay_iters > 0 ? config.lr_decay_iters : config.max_iters;
}

// 0 asks for the schedule's own share: cosine decays over the whole horizon; auto holds the
// peak and anneals at the end, which measured 0.04 nats/char better than a constant rate on
// tinyshakespeare (docs/training.md, "The defaults").
double decay_fraction(const ScheduleSettings& config) {
  if (config.lr_decay_fraction > 0.0) return config.lr_decay_fraction;
  return config.lr_schedule == "auto" ? kAutoDecayFraction : 1.0;
}

bool decays(const ScheduleSettings& config) {
  return config.lr_schedule == "cosine" || (config.lr_schedule == "auto" && config.lr_decay_iters > 0);
}

// The step where the decay begins: the horizon's last decay_fraction of the steps after warm-up.
double decay_start(const ScheduleSettings& config) {
  const double after_warmup =
      static_cast<double>(std::max<std::int64_t>(1, cosine_horizon(config) - config.warmup_iters));
  return static_cast<double>(cosine_horizon(config)) - std::max(1.0, after_warmup * decay_fraction(config));
}
}  // namespace

void validate_schedule(const ScheduleSettings& config) {
  if (config.lr_schedule == "constant") return;
  if (config.lr_schedule == "step") {
    if (config.lr_decay_every <= 0) throw UsageError("--lr-schedule step needs --lr-decay-every N (iterations)");
    return;
  }
  if (!(config.lr_decay_fraction >= 0.0 && config.lr_decay_fraction <= 1.0))
    throw UsageError(
        "--lr-decay-fraction must be in [0, 1]: 1 decays over the whole horizon, 0 picks the schedule's own");
  if (config.lr_schedule == "auto") return;
  if (config.lr_schedule == "cosine") {
    if (cosine_horizon(config) <= 0) throw UsageError("--lr-schedule cosine needs --max-iters or --lr-decay-iters");
    return;
  }
  throw UsageError("unknown --lr-schedule '" + config.lr_schedule + "'; use auto, constant, step or cosine");
}

double learning_rate_at(const ScheduleSettings& config, std::int64_t step) {
  const double peak = config.learning_rate;
  if (step < config.warmup_iters)
    return peak * static_cast<double>(step + 1) / static_cast<double>(config.warmup_iters);
  if (config.lr_schedule == "step")
    return peak * std::pow(config.lr_decay_rate, std::floor(static_cast<double>(step) / config.lr_decay_every));
  // auto decays like cosine once the trainer has set a horizon, and is constant before.
  if (decays(config)) {
    const double start = decay_start(config);
    const double span = static_cast<double>(cosine_horizon(config)) - start;
    const double progress = std::clamp((static_cast<double>(step) - start) / span, 0.0, 1.0);
    const double floor = peak * config.min_lr_fraction;
    return floor + (peak - floor) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
  }
  return peak;
}

bool decay_has_begun(const ScheduleSettings& config, std::int64_t step) {
  return decays(config) && static_cast<double>(step) > decay_start(config);
}

}  // namespace charloom::train

namespace charloom::train {

OptimizerSettings optimizer_settings(const TrainingConfig& c) {
  return {c.optimizer, c.momentum, c.beta1, c.beta2, c.epsilon, c.weight_decay};
}

ScheduleSettings schedule_settings(const TrainingConfig& c) {
  return {c.learning_rate,  c.lr_schedule,     c.warmup_iters,      c.lr_decay_every, c.lr_decay_rate,
          c.lr_decay_iters, c.min_lr_fraction, c.lr_decay_fraction, c.max_iters};
}

}  // namespace charloom::train
