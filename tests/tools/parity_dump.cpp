// parity-dump: runs a charloom model on a text and writes what PyTorch must reproduce:
// the ids, the logits and loss of one forward pass, every gradient of that batch, and the
// losses of a few Adam steps. scripts/pytorch_parity.py reads the file and compares.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "charloom/corpus.hpp"
#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"
#include "io/safetensors.hpp"
#include "nn/network.hpp"
#include "train/optimizer.hpp"

using namespace charloom;

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: parity-dump MODEL TEXT STEPS BATCH ADAM_STEPS OUT\n";
    return 2;
  }
  try {
    const ModelFile model = load_model_file(argv[1]);
    const int steps = std::atoi(argv[3]), batch = std::atoi(argv[4]), adam_steps = std::atoi(argv[5]);
    const TokenIds ids = encode_files({argv[2]}, model.config.text, model.vocabulary);
    const std::size_t needed = static_cast<std::size_t>(steps) * batch * (adam_steps + 1) + 1;
    if (ids.size() < needed) throw UsageError("the text is too short for this shape");

    ModelConfig config = model.config;
    config.dropout = 0.0f;  // PyTorch's modules run in eval mode for the comparison
    nn::Network network(config);
    for (const auto& info : network.layout().tensors()) {
      const NamedTensor* tensor = model.find(info.name);
      std::copy(tensor->values.begin(), tensor->values.end(),
                network.parameters().begin() + static_cast<long>(info.offset));
    }
    network.parameters_changed();

    // Batch k: stream b reads ids [(k*B + b)*T, ... + T], time-major.
    auto batch_ids = [&](int k, std::vector<std::uint32_t>& inputs, std::vector<std::uint32_t>& targets) {
      inputs.resize(static_cast<std::size_t>(steps) * batch);
      targets.resize(inputs.size());
      for (int b = 0; b < batch; ++b)
        for (int t = 0; t < steps; ++t) {
          const std::size_t start = (static_cast<std::size_t>(k) * batch + b) * steps + t;
          inputs[static_cast<std::size_t>(t) * batch + b] = ids[start];
          targets[static_cast<std::size_t>(t) * batch + b] = ids[start + 1];
        }
    };
    std::vector<std::uint32_t> inputs, targets;
    batch_ids(0, inputs, targets);
    nn::StreamState state;
    state.reset(config, batch);
    const double loss = network.score_batch(inputs.data(), targets.data(), steps, batch, state) / (steps * batch);
    const std::vector<float> logits = network.last_logits();
    state.reset(config, batch);
    network.train_batch(inputs.data(), targets.data(), steps, batch, state, 0, 0);
    const std::vector<float> gradients = network.gradients();

    // A few Adam steps, each on the next batch from the zero state, without clipping.
    TrainingConfig training;
    auto adam = train::make_optimizer(train::optimizer_settings(training), network.parameters().size());
    std::vector<float> adam_losses;
    for (int k = 0; k < adam_steps; ++k) {
      batch_ids(k + 1, inputs, targets);
      state.reset(config, batch);
      adam_losses.push_back(
          static_cast<float>(network.train_batch(inputs.data(), targets.data(), steps, batch, state, 0, 0)));
      adam->step(network.parameters(), network.gradients(), 1e-3);
      network.parameters_changed();
    }

    std::vector<float> all_ids(needed);
    for (std::size_t i = 0; i < needed; ++i) all_ids[i] = static_cast<float>(ids[i]);
    const float loss_value = static_cast<float>(loss);
    const std::int64_t rows = static_cast<std::int64_t>(steps) * batch;
    std::vector<io::SafetensorsEntry> entries{
        {"ids", {static_cast<std::int64_t>(needed)}, io::Dtype::f32, all_ids.data()},
        {"logits", {rows, config.vocabulary_size}, io::Dtype::f32, logits.data()},
        {"loss", {1}, io::Dtype::f32, &loss_value},
        {"adam_losses", {adam_steps}, io::Dtype::f32, adam_losses.data()},
    };
    for (const auto& info : network.layout().tensors())
      entries.push_back({"grad." + info.name, info.shape, io::Dtype::f32, gradients.data() + info.offset});
    io::write_safetensors(argv[6], entries,
                          {{"steps", std::to_string(steps)},
                           {"batch", std::to_string(batch)},
                           {"cell", std::string(to_string(config.cell))}});
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "parity-dump: error: " << error.what() << "\n";
    return 1;
  }
}
