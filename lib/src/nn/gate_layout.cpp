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
  const int gates = gate_count(cell);
  for (int g = 0; g < gates; ++g) {
    const int t = torch_gate(cell, g);
    const bool split = cell == CellKind::gru && t == 2;  // b_in alone; b_hn goes to row 3
    for (int h = 0; h < hidden; ++h)
      dnnl[g * hidden + h] = b_ih[t * hidden + h] + (split ? 0.0f : b_hh[t * hidden + h]);
  }
  if (cell == CellKind::gru) std::copy_n(b_hh + 2 * hidden, hidden, dnnl + 3 * hidden);
}

void unpack_bias_gradient(CellKind cell, int hidden, const float* dnnl, float* b_ih, float* b_hh) {
  const int gates = gate_count(cell);
  for (int g = 0; g < gates; ++g) {
    const int t = torch_gate(cell, g);
    std::copy_n(dnnl + g * hidden, hidden, b_ih + t * hidden);
    // A summed bias passes the same gradient to both halves.
    const float* hh = (cell == CellKind::gru && t == 2) ? dnnl + 3 * hidden : dnnl + g * hidden;
    std::copy_n(hh, hidden, b_hh + t * hidden);
  }
}

}  // namespace charloom::nn
