// Learning-rate schedules: constant, step decay, cosine and auto, each with optional warm-up.
#pragma once

#include <cstdint>

#include "train/settings.hpp"

namespace charloom::train {

// auto's default share of the horizon over which the rate decays, at the end of the run.
constexpr double kAutoDecayFraction = 0.4;

// Throws UsageError for an unknown schedule or one missing its horizon.
void validate_schedule(const ScheduleSettings& config);

// The learning rate for the update that follows `step` completed updates.
double learning_rate_at(const ScheduleSettings& config, std::int64_t step);

// Whether the update after `step` is past the constant part of a decaying schedule, so
// moving the horizon would change rates already used.
bool decay_has_begun(const ScheduleSettings& config, std::int64_t step);

}  // namespace charloom::train
