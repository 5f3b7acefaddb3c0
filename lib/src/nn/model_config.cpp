// Cell names and the checks that keep model sizes sane.
#include "charloom/model_config.hpp"

#include "charloom/errors.hpp"

namespace charloom {
namespace {

// Sizes beyond these would not fit in memory or train on a CPU; they are almost surely typos.
constexpr int max_layers = 64;
constexpr int max_width = 1 << 15;

void check_size(std::string_view flag, long long value, long long high) {
  if (value < 1 || value > high)
    throw UsageError("--" + std::string(flag) + " must be from 1 to " + std::to_string(high) + ", got " +
                     std::to_string(value));
}

}  // namespace

std::string_view to_string(Precision precision) {
  switch (precision) {
    case Precision::f32:
      return "f32";
    case Precision::bf16:
      return "bf16";
    case Precision::int8:
      return "int8";
    case Precision::automatic:
      return "auto";
  }
  return "?";
}

Precision parse_precision(std::string_view name) {
  if (name == "f32") return Precision::f32;
  if (name == "bf16") return Precision::bf16;
  if (name == "int8") return Precision::int8;
  if (name == "auto") return Precision::automatic;
  throw UsageError("unknown --precision '" + std::string(name) + "'; use f32, bf16, int8 or auto");
}

std::string_view to_string(Pooling pooling) {
  switch (pooling) {
    case Pooling::last:
      return "last";
    case Pooling::mean:
      return "mean";
    case Pooling::max:
      return "max";
    case Pooling::concat:
      return "concat";
  }
  return "?";
}

Pooling parse_pooling(std::string_view name) {
  if (name == "last") return Pooling::last;
  if (name == "mean") return Pooling::mean;
  if (name == "max") return Pooling::max;
  if (name == "concat") return Pooling::concat;
  throw UsageError("unknown --pool '" + std::string(name) + "'; use last, mean, max or concat");
}

std::string_view to_string(CellKind cell) {
  switch (cell) {
    case CellKind::lstm:
      return "lstm";
    case CellKind::gru:
      return "gru";
    case CellKind::rnn_tanh:
      return "rnn_tanh";
    case CellKind::rnn_relu:
      return "rnn_relu";
  }
  return "?";
}

CellKind parse_cell_kind(std::string_view name) {
  if (name == "lstm") return CellKind::lstm;
  if (name == "gru") return CellKind::gru;
  if (name == "rnn" || name == "rnn_tanh") return CellKind::rnn_tanh;
  if (name == "rnn_relu") return CellKind::rnn_relu;
  throw UsageError("unknown cell '" + std::string(name) + "'; use lstm, gru or rnn (with --activation tanh or relu)");
}

int gate_count(CellKind cell) {
  switch (cell) {
    case CellKind::lstm:
      return 4;
    case CellKind::gru:
      return 3;
    default:
      return 1;
  }
}

void ModelConfig::validate() const {
  check_size("layers", layers, max_layers);
  check_size("hidden", hidden, max_width);
  check_size("embedding-size", embedding_size, max_width);
  if (vocabulary_size < 2)
    throw UsageError("the vocabulary has " + std::to_string(vocabulary_size) +
                     " entries; the corpus needs at least one unit");
  if (!(dropout >= 0.0f && dropout < 1.0f))
    throw UsageError("--dropout must be in [0, 1), got " + std::to_string(dropout));
}

}  // namespace charloom
