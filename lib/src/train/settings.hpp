// What the optimizers and the learning-rate schedules read, apart from any one task's config:
// each trainer fills them from its own options.
#pragma once

#include <cstdint>
#include <string>

#include "charloom/training.hpp"

namespace charloom::train {

struct OptimizerSettings {
  std::string optimizer = "adam";                     // adam, rmsprop or sgd
  double momentum = 0.9;                              // sgd
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // adam; rmsprop uses beta2 as alpha
  double weight_decay = 0.0;                          // decoupled, for every optimizer
};

struct ScheduleSettings {
  double learning_rate = 3e-3;           // the peak
  std::string lr_schedule = "constant";  // auto, constant, step or cosine
  std::int64_t warmup_iters = 0;
  std::int64_t lr_decay_every = 0;  // step
  double lr_decay_rate = 0.5;       // step
  std::int64_t lr_decay_iters = 0;  // cosine and auto: the horizon (0 = max_iters)
  double min_lr_fraction = 0.02, lr_decay_fraction = 0.0;
  std::int64_t max_iters = 0;
};

// The language model's settings, from its config.
OptimizerSettings optimizer_settings(const TrainingConfig& config);
ScheduleSettings schedule_settings(const TrainingConfig& config);

}  // namespace charloom::train
