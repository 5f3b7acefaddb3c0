// What every training run shares with its caller: the stop request a signal handler makes,
// and the early check that the output can be written.
#pragma once

#include <string>

namespace charloom::train {

// The signal number request_training_stop() was given, or 0.
int pending_stop_signal();

// Fails now, not after hours of training, when the output cannot be written.
void check_writable(const std::string& path);

}  // namespace charloom::train
