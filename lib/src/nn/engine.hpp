// The one oneDNN CPU engine and stream every layer uses.
#pragma once

#include <dnnl.hpp>

namespace charloom::nn {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();  // the calling thread's own

// Whether this CPU computes bf16 natively (AVX512-BF16 or AMX); elsewhere oneDNN emulates it
// on reference kernels, several times slower than f32.
bool native_bf16();

}  // namespace charloom::nn
