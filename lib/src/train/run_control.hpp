// What every training run shares with its caller: the stop request, read as one number, and
// the early check that the output can be written.
#pragma once

#include <string>

#include "charloom/run_events.hpp"

namespace charloom::train {

// stop_code's value for a caller's request that names no signal; above every signal number.
constexpr int stop_without_signal = 1 << 16;

// 0 while no stop is asked (or `stop` is null), else the signal number or stop_without_signal.
int stop_code(const StopRequest* stop);

// What a summary's stopped_by says for a nonzero stop_code.
const char* stop_reason(int code);

// The checks both tasks make of the settings they share; UsageError naming the flag.
void check_shared_settings(double learning_rate, double grad_clip, int threads, const std::string& on_divergence);

// Fails now, not after hours of training, when the output cannot be written.
void check_writable(const std::string& path);

}  // namespace charloom::train
