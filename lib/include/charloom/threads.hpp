// The number of threads oneDNN and charloom's own loops use.
#pragma once

namespace charloom {

// 0 leaves the default: one thread per core. The same seed and thread count give the same
// results; a different thread count may change the last bits of oneDNN's sums.
//
// Process-wide (it is OpenMP's thread count, which oneDNN runs on): it applies to every model
// and training run in the process from then on, and is what each app's --threads sets. Call it
// before starting work, not while another thread computes. Every training run sets it from its
// config's `threads` when that is not 0.
void set_thread_count(int threads);

}  // namespace charloom
