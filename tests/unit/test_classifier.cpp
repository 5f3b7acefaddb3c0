// The sentiment classifier's network: gradients by finite differences for every pooling and
// cell, padding that never changes a text's score, and the auxiliary language-model loss.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "charloom/errors.hpp"
#include "nn/classifier.hpp"
#include "nn/network.hpp"
#include "train/language_model_loss.hpp"

using namespace charloom;

namespace {

ModelConfig tiny(CellKind cell, Pooling pool, bool bidirectional = false) {
  ModelConfig config;
  config.bidirectional = bidirectional;
  config.cell = cell;
  config.pool = pool;
  config.layers = 2;
  config.hidden = 6;
  config.embedding_size = 4;
  config.vocabulary_size = 7;
  config.dropout = 0.0f;
  return config;
}

// Three texts of lengths 5, 2 and 4, padded to 5 steps with id 0, time-major.
struct Toy {
  std::vector<std::uint32_t> inputs;
  std::vector<int> lengths{5, 2, 4};
  std::vector<float> labels{1.0f, 0.0f, 1.0f}, weights{1.0f, 0.5f, 2.0f};
  Toy() {
    const std::vector<std::vector<std::uint32_t>> texts{{1, 2, 3, 4, 5}, {6, 1}, {3, 3, 2, 6}};
    inputs.assign(std::size_t{5} * 3, 0);
    for (std::size_t b = 0; b < texts.size(); ++b)
      for (std::size_t t = 0; t < texts[b].size(); ++t) inputs[t * 3 + b] = texts[b][t];
  }
  nn::TextBatch batch() const { return {inputs.data(), lengths.data(), 5, 3}; }
};

// The weighted mean logistic loss from inference logits, in double.
double loss_of(nn::Classifier& classifier, const Toy& toy) {
  const float* logits = classifier.forward(toy.batch());
  double total = 0.0, weight = 0.0;
  for (int b = 0; b < 3; ++b) {
    const double z = logits[b], y = toy.labels[b];
    total += toy.weights[b] * (std::log1p(std::exp(-std::abs(z))) + std::max(z, 0.0) - y * z);
    weight += toy.weights[b];
  }
  return total / weight;
}

}  // namespace

TEST_CASE("classifier gradients match finite differences for every pooling and cell, one way and both") {
  for (bool bidirectional : {false, true})
    for (CellKind cell : {CellKind::lstm, CellKind::gru, CellKind::rnn_tanh}) {
      for (Pooling pool : {Pooling::last, Pooling::mean, Pooling::max, Pooling::concat}) {
        CAPTURE(bidirectional);
        CAPTURE(to_string(cell));
        CAPTURE(to_string(pool));
        const bool has_max = pool == Pooling::max || pool == Pooling::concat;  // kinks to step over
        nn::Classifier classifier(tiny(cell, pool, bidirectional));
        classifier.initialize(5);
        // A larger head makes the encoder's gradients large enough to measure.
        const int width = classifier.config().pooled_width();
        for (int j = 0; j < width; ++j)
          classifier.parameters()[classifier.layout().find("classifier.weight").offset + j] *= 8.0f;
        classifier.parameters_changed();
        const Toy toy;
        const double loss = classifier.train_batch(toy.batch(), toy.labels.data(), toy.weights.data(), 1, 0) / 3.5;
        CHECK(loss == doctest::Approx(loss_of(classifier, toy)).epsilon(1e-5));
        const std::vector<float> analytic = classifier.gradients();
        std::vector<float>& p = classifier.parameters();
        loss_of(classifier, toy);
        const std::vector<int> base_steps = classifier.max_steps();
        int checked = 0, across_kinks = 0;
        for (std::size_t i = 0; i < p.size(); ++i) {
          const float saved = p[i], step = 3e-3f;
          p[i] = saved + step;
          classifier.parameters_changed();
          const double up = loss_of(classifier, toy);
          const std::vector<int> steps_up = classifier.max_steps();
          p[i] = saved - step;
          classifier.parameters_changed();
          const double down = loss_of(classifier, toy);
          p[i] = saved;
          // Max pooling has kinks where a maximum moves to another step (some outputs here
          // differ by 1e-5 between steps); a difference across one measures neither side.
          if (has_max && (steps_up != base_steps || classifier.max_steps() != base_steps)) {
            ++across_kinks;
            continue;
          }
          const double numeric = (up - down) / (2.0 * step);
          CAPTURE(i);
          CHECK(std::abs(numeric - analytic[i]) <= 2e-4 + 0.02 * std::abs(numeric));
          checked += std::abs(analytic[i]) > 1e-3;
        }
        classifier.parameters_changed();
        // Enough is left to check: a third of the parameters with a gradient far from zero
        // (a quarter with max pooling, where a bidirectional encoder has many near-ties).
        const int total = static_cast<int>(p.size());
        CHECK(across_kinks < (has_max ? total * 3 / 5 : 1));
        CHECK(checked > (has_max ? total / 4 : total / 3));
      }
    }
}

TEST_CASE("soft labels: the loss is the cross-entropy against them, and the bias's gradient sum w (p - y) / sum w") {
  nn::Classifier classifier(tiny(CellKind::lstm, Pooling::max));
  classifier.initialize(5);
  Toy toy;
  toy.labels = {0.9f, 0.2f, 0.55f};
  const double loss = classifier.train_batch(toy.batch(), toy.labels.data(), toy.weights.data(), 1, 0) / 3.5;
  const double bias_gradient = classifier.gradients()[classifier.layout().find("classifier.bias").offset];
  CHECK(loss == doctest::Approx(loss_of(classifier, toy)).epsilon(1e-6));
  const float* logits = classifier.forward(toy.batch());
  double expected = 0.0;
  for (int b = 0; b < 3; ++b) expected += toy.weights[b] * (1.0 / (1.0 + std::exp(-logits[b])) - toy.labels[b]);
  CHECK(bias_gradient == doctest::Approx(expected / 3.5).epsilon(1e-5));
}

TEST_CASE("batches of many lengths, in any order and across updates, train as a fresh classifier would") {
  // Plans of different lengths share the layers' weight copies, gradient buffers and
  // workspace; a longer batch grows the workspace under the plans built before it.
  for (bool bidirectional : {false, true})
    for (CellKind cell : {CellKind::lstm, CellKind::gru}) {
      CAPTURE(bidirectional);
      CAPTURE(to_string(cell));
      const Toy toy;
      std::vector<std::uint32_t> long_inputs(std::size_t{12} * 3, 0);
      std::copy(toy.inputs.begin(), toy.inputs.end(), long_inputs.begin());
      const std::vector<int> short_lengths{2, 2, 2};
      const nn::TextBatch short_batch{toy.inputs.data(), short_lengths.data(), 2, 3};
      const nn::TextBatch long_batch{long_inputs.data(), toy.lengths.data(), 12, 3};
      const auto gradients_of = [&](nn::Classifier& classifier, const nn::TextBatch& batch) {
        classifier.train_batch(batch, toy.labels.data(), toy.weights.data(), 1, 0);
        return classifier.gradients();
      };
      const auto fresh = [&](const std::vector<float>& parameters, const nn::TextBatch& batch) {
        nn::Classifier classifier(tiny(cell, Pooling::mean, bidirectional));
        classifier.parameters() = parameters;
        classifier.parameters_changed();
        return gradients_of(classifier, batch);
      };
      nn::Classifier shared(tiny(cell, Pooling::mean, bidirectional));
      shared.initialize(3);
      const std::vector<float> start = shared.parameters();
      CHECK(gradients_of(shared, short_batch) == fresh(start, short_batch));
      CHECK(gradients_of(shared, long_batch) == fresh(start, long_batch));
      CHECK(gradients_of(shared, short_batch) == fresh(start, short_batch));
      // An update reaches every plan's weights, whichever plan ran last.
      for (float& p : shared.parameters()) p *= 0.9f;
      shared.parameters_changed();
      const std::vector<float> updated = shared.parameters();
      CHECK(gradients_of(shared, toy.batch()) == fresh(updated, toy.batch()));
      CHECK(gradients_of(shared, long_batch) == fresh(updated, long_batch));
      CHECK(gradients_of(shared, short_batch) == fresh(updated, short_batch));
    }
}

TEST_CASE("a text scores the same alone as padded in a batch, one way and both") {
  for (bool bidirectional : {false, true})
    for (Pooling pool : {Pooling::last, Pooling::mean, Pooling::max, Pooling::concat}) {
      CAPTURE(bidirectional);
      nn::Classifier classifier(tiny(CellKind::lstm, pool, bidirectional));
      classifier.initialize(9);
      const Toy toy;
      const std::vector<float> batched(classifier.forward(toy.batch()), classifier.forward(toy.batch()) + 3);
      const std::vector<std::uint32_t> alone{6, 1};
      const int length = 2;
      const float single = classifier.forward({alone.data(), &length, 2, 1})[0];
      CHECK(single == doctest::Approx(batched[1]).epsilon(1e-5));
      // The running logit at a text's last position is its score.
      const std::vector<float> running = classifier.running_logits(toy.batch());
      for (int b = 0; b < 3; ++b)
        CHECK(running[static_cast<std::size_t>(toy.lengths[b] - 1) * 3 + b] ==
              doctest::Approx(batched[b]).epsilon(1e-5));
    }
}

TEST_CASE("with the reverse direction's weights equal to the forward one's, a palindrome reads the same both ways") {
  for (Pooling pool : {Pooling::last, Pooling::mean, Pooling::max, Pooling::concat}) {
    ModelConfig config = tiny(CellKind::lstm, pool, true);
    config.layers = 1;
    nn::Classifier classifier(config);
    classifier.initialize(3);
    std::vector<float>& p = classifier.parameters();
    for (const char* name : {"rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"}) {
      const auto& forward = classifier.layout().find(name);
      const auto& reverse = classifier.layout().find(std::string(name) + "_reverse");
      std::copy_n(p.begin() + static_cast<std::ptrdiff_t>(forward.offset), forward.size(),
                  p.begin() + static_cast<std::ptrdiff_t>(reverse.offset));
    }
    classifier.parameters_changed();
    // Two palindromes of different lengths in one batch, padded after the shorter one.
    const std::vector<std::uint32_t> inputs{1, 4, 2, 5, 3, 4, 2, 0, 1, 0};  // (5 steps, 2 texts)
    const std::vector<int> lengths{5, 3};
    classifier.forward({inputs.data(), lengths.data(), 5, 2});
    // Each part of the features (one, or three for concat) is 12 wide: forward, then reverse.
    const std::vector<float>& features = classifier.features();
    const int width = config.pooled_width();
    for (int b = 0; b < 2; ++b)
      for (int part = 0; part < width / 12; ++part)
        for (int j = 0; j < 6; ++j) {
          CAPTURE(b);
          CAPTURE(part);
          CAPTURE(j);
          CHECK(features[b * width + part * 12 + j] ==
                doctest::Approx(features[b * width + part * 12 + 6 + j]).epsilon(1e-5));
        }
  }
}

TEST_CASE("the auxiliary language-model loss is the language model's own, and its gradients match finite differences") {
  // A language model, and a classifier over a copy of its encoder.
  const ModelConfig config = tiny(CellKind::lstm, Pooling::mean);
  nn::Network network(config);
  network.initialize(4);
  nn::Classifier classifier(config);
  classifier.initialize(5);
  std::vector<NamedTensor> tensors = nn::named_tensors(network.layout(), network.parameters());
  for (NamedTensor& own : nn::named_tensors(classifier.layout(), classifier.parameters()))
    if (own.name.rfind("classifier.", 0) == 0) tensors.push_back(std::move(own));
  classifier.load_tensors(tensors);
  std::vector<float> head;
  for (const NamedTensor& t : tensors)
    if (t.name.rfind("head.", 0) == 0) head.insert(head.end(), t.values.begin(), t.values.end());
  train::LanguageModelLoss lm(config.vocabulary_size, config.hidden, head);

  const Toy toy;
  const float weight = 0.7f;
  // The classifier's weighted mean loss plus weight times the next-unit loss, from one training
  // pass (no dropout, so it is the same function every time).
  double lm_mean = 0.0;
  const auto total_loss = [&](float lm_weight) {
    const double classifier_loss =
        classifier.train_batch(toy.batch(), toy.labels.data(), toy.weights.data(), 1, 0,
                               [&](const float* top, float* top_gradient) {
                                 lm_mean = lm.add_gradient(toy.batch(), top, lm_weight, top_gradient);
                               }) /
        3.5;
    return classifier_loss + lm_weight * lm_mean;
  };

  // Each text read alone by the language model: inputs all but its last unit, targets all but its first.
  total_loss(0.0f);
  double summed = 0.0;
  int predicted = 0;
  const std::vector<std::vector<std::uint32_t>> texts{{1, 2, 3, 4, 5}, {6, 1}, {3, 3, 2, 6}};
  for (const auto& text : texts) {
    nn::StreamState state;
    state.reset(config, 1);
    const int steps = static_cast<int>(text.size()) - 1;
    summed += network.score_batch(text.data(), text.data() + 1, steps, 1, state);
    predicted += steps;
  }
  CHECK(lm_mean == doctest::Approx(summed / predicted).epsilon(1e-5));

  total_loss(weight);
  const std::vector<float> analytic = classifier.gradients(), head_analytic = lm.gradients();
  int checked = 0;
  for (std::vector<float>* values : {&classifier.parameters(), &lm.parameters()}) {
    const std::vector<float>& expected = values == &lm.parameters() ? head_analytic : analytic;
    for (std::size_t i = 0; i < values->size(); ++i) {
      const float saved = (*values)[i], step = 3e-3f;
      (*values)[i] = saved + step;
      classifier.parameters_changed();
      const double up = total_loss(weight);
      (*values)[i] = saved - step;
      classifier.parameters_changed();
      const double down = total_loss(weight);
      (*values)[i] = saved;
      const double numeric = (up - down) / (2.0 * step);
      CAPTURE(i);
      CHECK(std::abs(numeric - expected[i]) <= 2e-4 + 0.02 * std::abs(numeric));
      checked += std::abs(expected[i]) > 1e-3;
    }
  }
  classifier.parameters_changed();
  // Most of the rest are embedding rows of units these texts hardly use.
  CHECK(checked > static_cast<int>(analytic.size() + head_analytic.size()) / 4);
}
