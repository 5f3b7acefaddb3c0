// The number of threads oneDNN and charloom's own loops use.
#pragma once

namespace charloom {

// 0 leaves the default: one thread per core. The same seed and thread count give the same
// results; a different thread count may change the last bits of oneDNN's sums.
void set_thread_count(int threads);

}  // namespace charloom
