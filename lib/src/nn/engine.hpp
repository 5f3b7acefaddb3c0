// The one oneDNN CPU engine and stream every layer uses.
#pragma once

#include <dnnl.hpp>

namespace charloom::nn {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

}  // namespace charloom::nn
