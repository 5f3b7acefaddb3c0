// Learning-rate schedules: constant, step decay, cosine and auto, each with optional warm-up.
#pragma once

#include <cstdint>

#include "charloom/training.hpp"

namespace charloom::train {

// Throws UsageError for an unknown schedule or one missing its horizon.
void validate_schedule(const TrainingConfig& config);

// The learning rate for the update that follows `step` completed updates.
double learning_rate_at(const TrainingConfig& config, std::int64_t step);

}  // namespace charloom::train
