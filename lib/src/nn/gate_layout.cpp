// Gate reordering and bias splitting between PyTorch and oneDNN layouts.
#include "nn/gate_layout.hpp"

#include <algorithm>

namespace charloom::nn {
namespace {

// PyTorch's gate block for oneDNN gate g: only the GRU swaps its first two gates.
int torch_gate(CellKind cell, int dnnl_gate) {
  if (cell == CellKind::gru && dnnl_gate < 2) return 1 - dnnl_gate;
  return dnnl_gate;
}

}  // namespace

bool torch_gate_order(CellKind cell) { return cell != CellKind::gru; }

int dnnl_bias_rows(CellKind cell) { return cell == CellKind::gru ? 4 : gate_count(cell); }

void pack_weights(CellKind cell, int hidden, int inputs, const float* torch, float* dnnl) {
  const std::size_t block = static_cast<std::size_t>(hidden) * inputs;
  for (int g = 0; g < gate_count(cell); ++g) std::copy_n(torch + torch_gate(cell, g) * block, block, dnnl + g * block);
}

void unpack_weights(CellKind cell, int hidden, int inputs, const float* dnnl, float* torch) {
  const std::size_t block = static_cast<std::size_t>(hidden) * inputs;
  for (int g = 0; g < gate_count(cell); ++g) std::copy_n(dnnl + g * block, block, torch + torch_gate(cell, g) * block);
}

void pack_bias(CellKind cell, int hidden, const float* b_ih, const float* b_hh, float* dnnl) {
  const std::size_t size = static_cast<std::size_t>(hidden);
  for (int g = 0; g < gate_count(cell); ++g) {
    const int t = torch_gate(cell, g);
    const bool split = cell == CellKind::gru && t == 2;  // b_in alone; b_hn goes to row 3
    for (std::size_t h = 0; h < size; ++h)
      dnnl[g * size + h] = b_ih[t * size + h] + (split ? 0.0f : b_hh[t * size + h]);
  }
  if (cell == CellKind::gru) std::copy_n(b_hh + 2 * size, size, dnnl + 3 * size);
}

void unpack_bias_gradient(CellKind cell, int hidden, const float* dnnl, float* b_ih, float* b_hh) {
  const std::size_t size = static_cast<std::size_t>(hidden);
  for (int g = 0; g < gate_count(cell); ++g) {
    const int t = torch_gate(cell, g);
    std::copy_n(dnnl + g * size, size, b_ih + t * size);
    // A summed bias passes the same gradient to both halves.
    const float* hh = (cell == CellKind::gru && t == 2) ? dnnl + 3 * size : dnnl + g * size;
    std::copy_n(hh, size, b_hh + t * size);
  }
}

}  // namespace charloom::nn
