// What the language model and the classifier share: a configuration, one flat parameter
// buffer (and its gradients) laid out by name, and the encoder that reads text through it.
#pragma once

#include <cstdint>
#include <vector>

#include "charloom/model_config.hpp"
#include "charloom/model_file.hpp"
#include "nn/encoder.hpp"
#include "nn/parameters.hpp"

namespace charloom::nn {

class EncoderModel {
 public:
  const ModelConfig& config() const { return config_; }
  const ParameterLayout& layout() const { return layout_; }
  std::vector<float>& parameters() { return parameters_; }
  const std::vector<float>& parameters() const { return parameters_; }
  std::vector<float>& gradients() { return gradients_; }

  // PyTorch's default initialization, drawn from a counter-based generator.
  void initialize(std::uint64_t seed) {
    initialize_parameters(layout_, config_.hidden, seed, parameters_);
    parameters_changed();
  }
  // Pushes the master weights into the layers; call after every change to parameters().
  void parameters_changed() { encoder_.parameters_changed(parameters_); }
  // This process's streams of a data-parallel batch; see Encoder::set_stream_share.
  void set_stream_share(int first, int total) { encoder_.set_stream_share(first, total); }
  // Dropout on the top layer's outputs too; see Encoder::set_top_dropout.
  void set_top_dropout(bool on) { encoder_.set_top_dropout(on); }
  // Takes the parameters from named tensors (as a checked model file holds them).
  void load_tensors(const std::vector<NamedTensor>& tensors) {
    copy_tensors(layout_, tensors, parameters_);
    parameters_changed();
  }

 protected:
  // `layout` must hold the encoder's tensors, plus the owner's head. Precision::automatic
  // becomes resolve_precision's choice for this CPU.
  EncoderModel(const ModelConfig& config, Precision precision, ParameterLayout layout)
      : config_((config.validate(), config)),
        layout_(std::move(layout)),
        parameters_(layout_.total(), 0.0f),
        gradients_(layout_.total(), 0.0f),
        encoder_(config_, resolve_precision(precision, config_).precision, layout_) {}

  ModelConfig config_;
  ParameterLayout layout_;
  std::vector<float> parameters_, gradients_;
  Encoder encoder_;
};

}  // namespace charloom::nn
