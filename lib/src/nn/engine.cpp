// Creates the CPU engine and stream once, on first use.
#include "nn/engine.hpp"

#include "charloom/model_config.hpp"

namespace charloom::nn {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  // One per thread: a stream may not be used from two threads at once, and two threads may each
  // run a model of their own.
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

namespace {

// oneDNN's ISA values are feature masks: a CPU with an ISA has every bit of its value.
bool has_isa(dnnl::cpu_isa wanted) {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  return (isa & static_cast<unsigned>(wanted)) == static_cast<unsigned>(wanted);
}

}  // namespace

bool native_bf16() { return has_isa(dnnl::cpu_isa::avx512_core_bf16); }

}  // namespace charloom::nn

namespace charloom {

bool native_precision(Precision precision) {
  switch (precision) {
    case Precision::f32:
    case Precision::automatic:  // picks only what runs natively
      return true;
    case Precision::bf16:
      return nn::native_bf16();
    case Precision::int8:
      return nn::has_isa(dnnl::cpu_isa::avx512_core_vnni) || nn::has_isa(dnnl::cpu_isa::avx2_vnni);
  }
  return false;
}

CpuFeatures cpu_features() { return {nn::native_bf16()}; }

bool available_precision(Precision precision) {
  return precision != Precision::bf16 || nn::has_isa(dnnl::cpu_isa::avx512_core);
}

}  // namespace charloom

#include <omp.h>

#include "charloom/threads.hpp"

namespace charloom {

void set_thread_count(int threads) {
  // oneDNN here is built on OpenMP, so one setting governs its kernels and our loops.
  if (threads > 0) omp_set_num_threads(threads);
}

}  // namespace charloom
