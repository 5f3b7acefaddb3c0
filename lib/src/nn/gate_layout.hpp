// Maps weights and gradients between PyTorch's layout (the master copy) and oneDNN's.
//
// PyTorch keeps weight_ih as (G*H, I): gate blocks of H rows, each row one output's inputs.
// That is oneDNN's ldgoi layout, except for the gate order of the GRU: PyTorch's nn.GRU is
// oneDNN's linear-before-reset GRU with gates (u, r, o) where PyTorch has (r, z, n), u = z.
// oneDNN has one bias per gate, PyTorch two (b_ih + b_hh), except that the GRU's b_hn sits
// inside the reset product and is oneDNN's fourth bias row.
#pragma once

#include "charloom/model_config.hpp"

namespace charloom::nn {

// Whether oneDNN's ldgoi is PyTorch's layout as it stands (every cell but the GRU), so that
// a layer can read the master weights and write their gradients in place, without a copy.
bool torch_gate_order(CellKind cell);

// Bias rows oneDNN wants: one per gate, plus b_hn for the GRU.
int dnnl_bias_rows(CellKind cell);

// G = gates, H = hidden, I = inputs. torch (G*H, I) -> dnnl ldgoi (G, H, I).
void pack_weights(CellKind cell, int hidden, int inputs, const float* torch, float* dnnl);
// dnnl ldgoi (G, H, I) -> torch (G*H, I), overwriting.
void unpack_weights(CellKind cell, int hidden, int inputs, const float* dnnl, float* torch);
// b_ih, b_hh (G*H each) -> dnnl bias (dnnl_bias_rows, H).
void pack_bias(CellKind cell, int hidden, const float* b_ih, const float* b_hh, float* dnnl);
// Gradient of the dnnl bias -> gradients of b_ih and b_hh, overwriting.
void unpack_bias_gradient(CellKind cell, int hidden, const float* dnnl, float* b_ih, float* b_hh);

}  // namespace charloom::nn
