// Row-major matrix products through oneDNN's sgemm, for the heads and their gradients.
#pragma once

#include <dnnl.hpp>

#include <cstdint>

#include "charloom/errors.hpp"

namespace charloom::nn {

// C (M, N) = op(A) * op(B) + beta * C, row-major; trans 'N' or 'T'.
inline void gemm(char trans_a, char trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                 std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (dnnl_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc) != dnnl_success)
    throw Error("oneDNN sgemm failed");
}

}  // namespace charloom::nn
