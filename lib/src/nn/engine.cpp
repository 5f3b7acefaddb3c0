// Creates the CPU engine and stream once, on first use.
#include "nn/engine.hpp"

namespace charloom::nn {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

bool native_bf16() {
  // oneDNN's ISA values are feature masks: a CPU with bf16 has every bit of avx512_core_bf16.
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

}  // namespace charloom::nn

#include <omp.h>

#include "charloom/threads.hpp"

namespace charloom {

void set_thread_count(int threads) {
  // oneDNN here is built on OpenMP, so one setting governs its kernels and our loops.
  if (threads > 0) omp_set_num_threads(threads);
}

}  // namespace charloom
