// The shape of a language model: cell kind, layer sizes, vocabulary and text options.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "charloom/text.hpp"

namespace charloom {

// rnn_tanh and rnn_relu are the two vanilla RNN activations (--cell rnn --activation relu).
enum class CellKind { lstm, gru, rnn_tanh, rnn_relu };

// Arithmetic of the recurrent layers. Master weights, gradients and optimizer state stay f32;
// bf16 runs the RNN primitives on bf16 activations and weights (AVX512-BF16). int8 is for
// inference with LSTM layers only: s8 weights quantized per gate row when the model loads,
// u8 inputs, f32 states and outputs (VNNI). automatic (--precision auto) stands for what
// choose_precision picks for the model on this CPU; models resolve it when they are built.
enum class Precision { f32, bf16, int8, automatic };

std::string_view to_string(Precision precision);   // f32, bf16, int8 or auto
Precision parse_precision(std::string_view name);  // f32, bf16, int8 or auto; UsageError otherwise
// Whether this CPU has instructions for `precision` (bf16: AVX512-BF16 or AMX; int8: VNNI).
// Elsewhere oneDNN emulates it, slower than f32.
bool native_precision(Precision precision);
// Whether this CPU can run `precision` at all: oneDNN 2.6 has bf16 recurrent kernels only for
// AVX-512 CPUs (emulated without AVX512-BF16), and f32 and int8 kernels for every x86-64 CPU.
bool available_precision(Precision precision);

// How a classifier turns the top layer's outputs over a text into one vector. concat puts
// last, max and mean side by side (ULMFiT's concat pooling).
enum class Pooling { last, mean, max, concat };
std::string_view to_string(Pooling pooling);
Pooling parse_pooling(std::string_view name);  // last, mean, max or concat; UsageError otherwise

std::string_view to_string(CellKind cell);
// Accepts lstm, gru, rnn (tanh), rnn_tanh and rnn_relu; throws UsageError otherwise.
CellKind parse_cell_kind(std::string_view name);
// Gate blocks per layer in PyTorch's weight layout: 4 (LSTM), 3 (GRU) or 1.
int gate_count(CellKind cell);

struct ModelConfig;

// What this CPU offers the recurrent layers, as oneDNN sees it.
struct CpuFeatures {
  bool bf16 = false;  // AVX512-BF16 or AMX: bf16 at native speed
};
CpuFeatures cpu_features();

// A precision, and why it was chosen, for progress output and a run's records.
struct PrecisionChoice {
  Precision precision = Precision::f32;
  std::string reason;
};
// --precision auto: bf16 where `cpu` runs it natively and `model`'s layers are wide enough to
// gain from it, f32 elsewhere. int8 is never chosen: it changes the figures a model reports.
PrecisionChoice choose_precision(const ModelConfig& model, const CpuFeatures& cpu);
// `requested` as it runs here: automatic becomes choose_precision's answer for this CPU, any
// other precision stays as asked.
PrecisionChoice resolve_precision(Precision requested, const ModelConfig& model);

struct ModelConfig {
  CellKind cell = CellKind::lstm;
  int layers = 2;
  int hidden = 512;
  int embedding_size = 128;
  int vocabulary_size = 0;
  float dropout = 0.25f;  // on the embedding output, between layers and (when training asks) before the head
  TextOptions text;
  Pooling pool = Pooling::last;  // sentiment classifiers only
  // Sentiment classifiers only: every layer also reads each text backwards, and its outputs
  // are the two directions' side by side (PyTorch's bidirectional=True).
  bool bidirectional = false;

  // Throws UsageError naming the flag when a size is zero, negative or absurd.
  void validate() const;
  // Width of a layer's output: the hidden size, twice it when bidirectional.
  int output_width() const { return bidirectional ? 2 * hidden : hidden; }
  // Width of a classifier's pooled features: the output width, three times it for concat.
  int pooled_width() const { return pool == Pooling::concat ? 3 * output_width() : output_width(); }
  // Inputs to layer `layer`: the embedding size for the first, the output width after.
  int layer_input(int layer) const { return layer == 0 ? embedding_size : output_width(); }
};

}  // namespace charloom
