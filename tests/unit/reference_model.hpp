// A naive double-precision language model with PyTorch's cell equations, to check the
// oneDNN path against: forward values directly, gradients by finite differences.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "charloom/model_config.hpp"
#include "nn/parameters.hpp"

namespace charloom::testing {

class ReferenceModel {
 public:
  ReferenceModel(const ModelConfig& config, const nn::ParameterLayout& layout, const std::vector<float>& parameters)
      : config_(config), layout_(layout), parameters_(parameters.begin(), parameters.end()) {}

  std::vector<double>& parameters() { return parameters_; }

  // Per-layer (B, H) states; empty means zeros. Returns the mean loss; fills logits (T*B, V)
  // and the final states when asked.
  double loss(const std::vector<std::uint32_t>& inputs, const std::vector<std::uint32_t>& targets, int steps, int batch,
              std::vector<std::vector<double>> h, std::vector<std::vector<double>> c,
              std::vector<double>* logits = nullptr, std::vector<std::vector<double>>* final_h = nullptr,
              std::vector<std::vector<double>>* final_c = nullptr) const {
    const int layers = config_.layers, hidden = config_.hidden, vocabulary = config_.vocabulary_size;
    if (h.empty()) h.assign(layers, std::vector<double>(static_cast<std::size_t>(batch) * hidden, 0.0));
    if (c.empty()) c.assign(layers, std::vector<double>(static_cast<std::size_t>(batch) * hidden, 0.0));
    double total = 0.0;
    if (logits) logits->assign(static_cast<std::size_t>(steps) * batch * vocabulary, 0.0);
    for (int t = 0; t < steps; ++t) {
      for (int b = 0; b < batch; ++b) {
        const std::size_t row = static_cast<std::size_t>(t) * batch + b;
        const std::size_t width = static_cast<std::size_t>(config_.embedding_size);
        std::vector<double> x(tensor("embedding.weight") + inputs[row] * width,
                              tensor("embedding.weight") + (inputs[row] + 1) * width);
        for (int layer = 0; layer < layers; ++layer) {
          double* hb = h[layer].data() + static_cast<std::size_t>(b) * hidden;
          double* cb = c[layer].data() + static_cast<std::size_t>(b) * hidden;
          x = cell(layer, x, hb, cb);
        }
        std::vector<double> z(vocabulary);
        const double* w = tensor("head.weight");
        const double* bias = tensor("head.bias");
        double peak = -1e300;
        for (int v = 0; v < vocabulary; ++v) {
          z[v] = bias[v];
          for (int j = 0; j < hidden; ++j) z[v] += w[v * hidden + j] * x[j];
          peak = std::max(peak, z[v]);
          if (logits) (*logits)[row * vocabulary + v] = z[v];
        }
        double sum = 0.0;
        for (int v = 0; v < vocabulary; ++v) sum += std::exp(z[v] - peak);
        total += std::log(sum) + peak - z[targets[row]];
      }
    }
    if (final_h) *final_h = h;
    if (final_c) *final_c = c;
    return total / (static_cast<double>(steps) * batch);
  }

 private:
  const double* tensor(const std::string& name) const { return parameters_.data() + layout_.find(name).offset; }

  static double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

  // One step of one layer for one stream: updates h (and c) in place, returns the new h.
  std::vector<double> cell(int layer, const std::vector<double>& x, double* h, double* c) const {
    const std::string s = "_l" + std::to_string(layer);
    const double *w_ih = tensor("rnn.weight_ih" + s), *w_hh = tensor("rnn.weight_hh" + s);
    const double *b_ih = tensor("rnn.bias_ih" + s), *b_hh = tensor("rnn.bias_hh" + s);
    const int hidden = config_.hidden, inputs = static_cast<int>(x.size());
    const int rows = gate_count(config_.cell) * hidden;
    std::vector<double> gi(rows), gh(rows);
    for (int r = 0; r < rows; ++r) {
      gi[r] = b_ih[r];
      gh[r] = b_hh[r];
      for (int j = 0; j < inputs; ++j) gi[r] += w_ih[r * inputs + j] * x[j];
      for (int j = 0; j < hidden; ++j) gh[r] += w_hh[r * hidden + j] * h[j];
    }
    std::vector<double> out(hidden);
    for (int k = 0; k < hidden; ++k) {
      switch (config_.cell) {
        case CellKind::lstm: {
          const double i = sigmoid(gi[k] + gh[k]), f = sigmoid(gi[hidden + k] + gh[hidden + k]);
          const double g = std::tanh(gi[2 * hidden + k] + gh[2 * hidden + k]);
          const double o = sigmoid(gi[3 * hidden + k] + gh[3 * hidden + k]);
          c[k] = f * c[k] + i * g;
          out[k] = o * std::tanh(c[k]);
          break;
        }
        case CellKind::gru: {
          const double r = sigmoid(gi[k] + gh[k]), z = sigmoid(gi[hidden + k] + gh[hidden + k]);
          const double n = std::tanh(gi[2 * hidden + k] + r * gh[2 * hidden + k]);
          out[k] = (1.0 - z) * n + z * h[k];
          break;
        }
        case CellKind::rnn_tanh:
          out[k] = std::tanh(gi[k] + gh[k]);
          break;
        case CellKind::rnn_relu:
          out[k] = std::max(0.0, gi[k] + gh[k]);
          break;
      }
    }
    std::copy(out.begin(), out.end(), h);
    return out;
  }

  ModelConfig config_;
  const nn::ParameterLayout& layout_;
  std::vector<double> parameters_;
};

}  // namespace charloom::testing
