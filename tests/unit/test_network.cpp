// The oneDNN network against a naive double-precision reference: forward values for every
// cell, and every parameter's gradient by central finite differences.
#include <doctest/doctest.h>

#include <cmath>

#include "charloom/errors.hpp"
#include "infer/evaluation.hpp"
#include "nn/network.hpp"
#include "nn/random.hpp"
#include "reference_model.hpp"
#include "skip.hpp"

using namespace charloom;

namespace {

ModelConfig tiny_config(CellKind cell, int layers = 2) {
  ModelConfig config;
  config.cell = cell;
  config.layers = layers;
  config.hidden = 6;
  config.embedding_size = 5;
  config.vocabulary_size = 7;
  config.dropout = 0.0f;
  return config;
}

std::vector<std::uint32_t> random_ids(std::size_t count, int vocabulary, std::uint64_t seed) {
  std::vector<std::uint32_t> ids(count);
  for (std::size_t i = 0; i < count; ++i)
    ids[i] = static_cast<std::uint32_t>(nn::uniform01(seed, 99, i) * static_cast<float>(vocabulary));
  return ids;
}

// Uniform in [-1, 1): a direction for directional derivatives.
std::vector<float> random_values(std::size_t count, std::uint64_t seed) {
  std::vector<float> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = 2.0f * nn::uniform01(seed, 98, i) - 1.0f;
  return values;
}

std::vector<std::vector<double>> to_double(const std::vector<std::vector<float>>& states) {
  std::vector<std::vector<double>> result;
  for (const auto& s : states) result.emplace_back(s.begin(), s.end());
  return result;
}

const CellKind all_cells[] = {CellKind::lstm, CellKind::gru, CellKind::rnn_tanh, CellKind::rnn_relu};

}  // namespace

TEST_CASE("oneDNN forward matches the reference cells, with state carried across batches") {
  for (CellKind cell : all_cells) {
    CAPTURE(to_string(cell));
    const ModelConfig config = tiny_config(cell);
    nn::Network network(config);
    network.initialize(11);
    testing::ReferenceModel reference(config, network.layout(), network.parameters());
    const int steps = 4, batch = 3;
    nn::StreamState state;
    state.reset(config, batch);
    std::vector<std::vector<double>> ref_h, ref_c;
    for (int part = 0; part < 2; ++part) {
      const auto inputs = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 1 + part);
      const auto targets = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 3 + part);
      const double loss = network.score_batch(inputs.data(), targets.data(), steps, batch, state);
      std::vector<double> ref_logits;
      std::vector<std::vector<double>> next_h, next_c;
      const double ref_loss =
          reference.loss(inputs, targets, steps, batch, ref_h, ref_c, &ref_logits, &next_h, &next_c);
      ref_h = next_h;
      ref_c = next_c;
      CHECK(loss / (steps * batch) == doctest::Approx(ref_loss).epsilon(1e-5));
      const auto& logits = network.last_logits();
      double worst = 0.0;
      for (std::size_t i = 0; i < ref_logits.size(); ++i) worst = std::max(worst, std::abs(logits[i] - ref_logits[i]));
      CHECK(worst < 1e-5);
      for (int layer = 0; layer < config.layers; ++layer)
        for (std::size_t i = 0; i < ref_h[layer].size(); ++i)
          CHECK(state.h[layer][i] == doctest::Approx(ref_h[layer][i]).epsilon(1e-5));
    }
  }
}

TEST_CASE("every parameter's gradient matches central finite differences in double precision") {
  for (CellKind cell : all_cells) {
    CAPTURE(to_string(cell));
    ModelConfig config = tiny_config(cell);
    config.embedding_size = 4;  // the first layer's input differs from the hidden size
    nn::Network network(config);
    network.initialize(5);
    const int steps = 3, batch = 2;
    // A first batch sets a nonzero carried state; the gradient is checked on the second.
    nn::StreamState state;
    state.reset(config, batch);
    const auto warm_inputs = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 21);
    const auto warm_targets = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 22);
    network.train_batch(warm_inputs.data(), warm_targets.data(), steps, batch, state, 0, 0);
    const auto carried_h = to_double(state.h), carried_c = to_double(state.c);
    const auto inputs = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 23);
    const auto targets = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 24);
    network.train_batch(inputs.data(), targets.data(), steps, batch, state, 0, 1);
    const std::vector<float> analytic = network.gradients();

    testing::ReferenceModel reference(config, network.layout(), network.parameters());
    const double epsilon = 1e-6;
    for (const auto& tensor : network.layout().tensors()) {
      CAPTURE(tensor.name);
      double worst = 0.0;
      for (std::size_t i = 0; i < tensor.size(); ++i) {
        double& p = reference.parameters()[tensor.offset + i];
        const double saved = p;
        p = saved + epsilon;
        const double up = reference.loss(inputs, targets, steps, batch, carried_h, carried_c);
        p = saved - epsilon;
        const double down = reference.loss(inputs, targets, steps, batch, carried_h, carried_c);
        p = saved;
        const double numeric = (up - down) / (2 * epsilon);
        worst = std::max(worst, std::abs(numeric - analytic[tensor.offset + i]) / std::max(1e-2, std::abs(numeric)));
      }
      CHECK(worst < 2e-3);
    }
  }
}

TEST_CASE("bf16 layers agree with f32 within bf16 rounding, forward and backward") {
  if (!available_precision(Precision::bf16)) CHARLOOM_SKIP("this CPU has no AVX-512, so no bf16 recurrent kernels");
  for (CellKind cell : all_cells) {
    CAPTURE(to_string(cell));
    ModelConfig config = tiny_config(cell);
    config.hidden = 32;
    config.embedding_size = 16;
    config.vocabulary_size = 20;
    nn::Network exact(config, Precision::f32), rounded(config, Precision::bf16);
    exact.initialize(3);
    rounded.parameters() = exact.parameters();
    rounded.parameters_changed();
    const int steps = 6, batch = 5;
    const auto inputs = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 41);
    const auto targets = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 42);
    nn::StreamState exact_state, rounded_state;
    exact_state.reset(config, batch);
    rounded_state.reset(config, batch);
    const double exact_loss = exact.train_batch(inputs.data(), targets.data(), steps, batch, exact_state, 0, 0);
    const double rounded_loss = rounded.train_batch(inputs.data(), targets.data(), steps, batch, rounded_state, 0, 0);
    CHECK(rounded_loss == doctest::Approx(exact_loss).epsilon(1e-2));
    for (const auto& tensor : exact.layout().tensors()) {
      CAPTURE(tensor.name);
      double scale = 0.0, worst = 0.0;
      for (std::size_t i = tensor.offset; i < tensor.offset + tensor.size(); ++i) {
        scale = std::max(scale, static_cast<double>(std::abs(exact.gradients()[i])));
        worst = std::max(worst, static_cast<double>(std::abs(exact.gradients()[i] - rounded.gradients()[i])));
      }
      CHECK(worst <= 3e-2 * scale + 1e-6);
    }
  }
}

namespace {

struct Gap {
  double worst = 0.0, mean = 0.0;
};

// The gaps between two models' log-softmax outputs over the same inputs, in nats, with the
// states carried across two calls.
Gap log_probability_gap(nn::Network& a, nn::Network& b, int steps, int batch) {
  const ModelConfig& config = a.config();
  nn::StreamState state_a, state_b;
  state_a.reset(config, batch);
  state_b.reset(config, batch);
  const std::size_t width = static_cast<std::size_t>(config.vocabulary_size);
  const auto log_softmax = [&](const float* row, std::size_t j) {
    double total = 0.0;
    for (std::size_t k = 0; k < width; ++k) total += std::exp(static_cast<double>(row[k]));
    return row[j] - std::log(total);
  };
  Gap gap;
  std::size_t count = 0;
  for (int part = 0; part < 2; ++part) {
    const auto inputs = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 50 + part);
    const float* logits_a = a.forward_logits(inputs.data(), steps, batch, state_a);
    const std::vector<float> kept(logits_a, logits_a + static_cast<std::size_t>(steps) * batch * width);
    const float* logits_b = b.forward_logits(inputs.data(), steps, batch, state_b);
    for (std::size_t row = 0; row < static_cast<std::size_t>(steps) * batch; ++row)
      for (std::size_t j = 0; j < width; ++j, ++count) {
        const double difference =
            std::abs(log_softmax(kept.data() + row * width, j) - log_softmax(logits_b + row * width, j));
        gap.worst = std::max(gap.worst, difference);
        gap.mean += difference;
      }
  }
  gap.mean /= static_cast<double>(count);
  return gap;
}

}  // namespace

TEST_CASE("int8 LSTM layers agree with f32 within 8-bit rounding, whatever the embedding's range") {
  ModelConfig config = tiny_config(CellKind::lstm);
  config.hidden = 64;
  config.embedding_size = 16;
  config.vocabulary_size = 20;
  nn::Network exact(config, Precision::f32), quantized(config, Precision::int8);
  exact.initialize(5);
  // A trained model's logits span several nats; random weights give nearly flat ones. Scale
  // the head so the comparison sees a realistic spread.
  const auto& head = exact.layout().find("head.weight");
  for (std::size_t i = head.offset; i < head.offset + head.size(); ++i) exact.parameters()[i] *= 20.0f;
  exact.parameters_changed();
  quantized.parameters() = exact.parameters();
  quantized.parameters_changed();
  // Measured with VNNI: mean 0.02, worst 0.10 nats. Without it (AVX2 on an AMD EPYC) oneDNN's
  // u8*s8 products pass through saturating 16-bit sums: mean 0.043, worst 0.21. Clipped inputs
  // (no range folding) give several nats either way.
  const bool vnni = native_precision(Precision::int8);
  const double mean_bound = vnni ? 0.04 : 0.05, worst_bound = vnni ? 0.2 : 0.25;
  const Gap gap = log_probability_gap(exact, quantized, 12, 3);
  CHECK(gap.mean > 1e-4);  // really quantized
  CHECK(gap.mean < mean_bound);
  CHECK(gap.worst < worst_bound);

  // The same function with the embedding 30 times larger and the first layer's input weights
  // 30 times smaller: far outside u8's [-1, 1] input range unless the layer folds the range in.
  const auto& embedding = exact.layout().find("embedding.weight");
  const auto& input_weights = exact.layout().find("rnn.weight_ih_l0");
  for (std::size_t i = embedding.offset; i < embedding.offset + embedding.size(); ++i) exact.parameters()[i] *= 30.0f;
  for (std::size_t i = input_weights.offset; i < input_weights.offset + input_weights.size(); ++i)
    exact.parameters()[i] /= 30.0f;
  exact.parameters_changed();
  quantized.parameters() = exact.parameters();
  quantized.parameters_changed();
  const Gap folded = log_probability_gap(exact, quantized, 12, 3);
  CHECK(folded.mean < mean_bound);
  CHECK(folded.worst < worst_bound);
}

TEST_CASE("int8 refuses cells oneDNN cannot quantize, and training") {
  for (CellKind cell : {CellKind::gru, CellKind::rnn_tanh}) {
    CAPTURE(to_string(cell));
    CHECK_THROWS_AS(nn::Network(tiny_config(cell), Precision::int8), UsageError);
  }
  nn::Network network(tiny_config(CellKind::lstm), Precision::int8);
  network.initialize(1);
  nn::StreamState state;
  state.reset(network.config(), 2);
  const auto ids = random_ids(6, network.config().vocabulary_size, 3);
  CHECK_THROWS_AS(network.train_batch(ids.data(), ids.data(), 3, 2, state, 0, 0), Error);
}

TEST_CASE("with dropout on, before the head too, the gradient is the derivative of the masked loss") {
  // The masks are fixed by (seed, step), so the training loss is a smooth function of the
  // parameters; its derivative along a random direction must match the analytic gradient.
  // (Not relu: a step that long crosses its kinks; the test above covers its gradient.)
  for (CellKind cell : {CellKind::lstm, CellKind::gru, CellKind::rnn_tanh}) {
    CAPTURE(to_string(cell));
    ModelConfig config = tiny_config(cell);
    config.dropout = 0.4f;
    nn::Network network(config);
    network.initialize(7);
    network.set_top_dropout(true);
    const int steps = 4, batch = 3;
    const auto inputs = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 61);
    const auto targets = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 62);
    auto loss_at = [&](const std::vector<float>& parameters) {
      network.parameters() = parameters;
      network.parameters_changed();
      nn::StreamState state;
      state.reset(config, batch);
      return network.train_batch(inputs.data(), targets.data(), steps, batch, state, 29, 4);
    };
    const std::vector<float> base = network.parameters();
    const double with_top = loss_at(base);
    const std::vector<float> analytic = network.gradients();
    const auto direction = random_values(base.size(), 63);
    double along = 0.0;
    for (std::size_t i = 0; i < base.size(); ++i) along += static_cast<double>(analytic[i]) * direction[i];
    const float epsilon = 1e-3f;
    std::vector<float> up = base, down = base;
    for (std::size_t i = 0; i < base.size(); ++i) {
      up[i] += epsilon * direction[i];
      down[i] -= epsilon * direction[i];
    }
    const double numeric = (loss_at(up) - loss_at(down)) / (2.0 * epsilon);
    CHECK(numeric == doctest::Approx(along).epsilon(1e-2));
    // The top mask is really applied: the same step without it gives another loss.
    network.set_top_dropout(false);
    CHECK(loss_at(base) != doctest::Approx(with_top).epsilon(1e-4));
  }
}

TEST_CASE("shares of a batch add up to the whole batch: the identity data-parallel training rests on") {
  // Two processes each train on half the streams with dropout on; the mean of their losses
  // and gradients must be the full batch's, and the ready ranges must cover every gradient.
  for (CellKind cell : {CellKind::lstm, CellKind::gru}) {
    CAPTURE(to_string(cell));
    ModelConfig config = tiny_config(cell);
    config.dropout = 0.3f;
    const int steps = 5, batch = 6, half = batch / 2;
    const auto inputs = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 51);
    const auto targets = random_ids(static_cast<std::size_t>(steps) * batch, config.vocabulary_size, 52);
    nn::Network whole(config);
    whole.initialize(9);
    whole.set_top_dropout(true);
    nn::StreamState state;
    state.reset(config, batch);
    const double whole_loss = whole.train_batch(inputs.data(), targets.data(), steps, batch, state, 17, 3);

    double mean_loss = 0.0;
    std::vector<double> mean_gradient(whole.gradients().size(), 0.0);
    for (int part = 0; part < 2; ++part) {
      nn::Network share(config);
      share.parameters() = whole.parameters();
      share.parameters_changed();
      share.set_stream_share(part * half, batch);
      share.set_top_dropout(true);
      std::vector<std::uint32_t> my_inputs, my_targets;
      for (int t = 0; t < steps; ++t)
        for (int b = part * half; b < (part + 1) * half; ++b) {
          my_inputs.push_back(inputs[t * batch + b]);
          my_targets.push_back(targets[t * batch + b]);
        }
      nn::StreamState my_state;
      my_state.reset(config, half);
      std::size_t covered = 0, last_end = share.gradients().size();
      const double loss = share.train_batch(my_inputs.data(), my_targets.data(), steps, half, my_state, 17, 3,
                                            [&](std::size_t offset, std::size_t count) {
                                              CHECK(offset + count == last_end);  // back to front, no gaps
                                              last_end = offset;
                                              covered += count;
                                            });
      CHECK(covered == share.gradients().size());
      mean_loss += loss / 2;
      for (std::size_t i = 0; i < mean_gradient.size(); ++i) mean_gradient[i] += share.gradients()[i] / 2.0;
    }
    CHECK(mean_loss == doctest::Approx(whole_loss).epsilon(1e-6));
    double scale = 0.0, worst = 0.0;
    for (std::size_t i = 0; i < mean_gradient.size(); ++i) {
      scale = std::max(scale, std::fabs(static_cast<double>(whole.gradients()[i])));
      worst = std::max(worst, std::fabs(mean_gradient[i] - whole.gradients()[i]));
    }
    CHECK(worst <= 1e-5 * scale);
    // Without the share, the second half would draw the first half's dropout masks.
    nn::Network unshared(config);
    unshared.parameters() = whole.parameters();
    unshared.parameters_changed();
    std::vector<std::uint32_t> second_inputs, second_targets;
    for (int t = 0; t < steps; ++t)
      for (int b = half; b < batch; ++b) {
        second_inputs.push_back(inputs[t * batch + b]);
        second_targets.push_back(targets[t * batch + b]);
      }
    nn::StreamState second_state;
    second_state.reset(config, half);
    nn::Network shared(config);
    shared.parameters() = whole.parameters();
    shared.parameters_changed();
    shared.set_stream_share(half, batch);
    nn::StreamState shared_state;
    shared_state.reset(config, half);
    CHECK(unshared.train_batch(second_inputs.data(), second_targets.data(), steps, half, second_state, 17, 3) !=
          shared.train_batch(second_inputs.data(), second_targets.data(), steps, half, shared_state, 17, 3));
  }
}

namespace {

// 503 random ids for a tiny LSTM's vocabulary: a validation span to score.
TokenIds random_span(const ModelConfig& config, std::uint64_t seed) {
  TokenIds ids(static_cast<std::size_t>(config.vocabulary_size));
  for (std::uint32_t id : random_ids(503, config.vocabulary_size, seed)) ids.push_back(id);
  return ids;
}

}  // namespace

TEST_CASE("validation split into parts scores the same units and nats as in one piece") {
  ModelConfig config = tiny_config(CellKind::lstm);
  nn::Network network(config);
  network.initialize(4);
  const TokenIds ids = random_span(config, 61);
  const infer::SpanScore whole = infer::score_span(network, ids, 0, ids.size(), 7, 10);
  for (int parts : {2, 3, 7, 9}) {
    CAPTURE(parts);
    double nats = 0.0;
    std::uint64_t units = 0;
    for (int part = 0; part < parts; ++part) {
      const infer::SpanScore piece = infer::score_span(network, ids, 0, ids.size(), 7, 10, part, parts);
      nats += piece.nats;
      units += piece.units;
    }
    CHECK(units == whole.units);
    CHECK(nats == doctest::Approx(whole.nats).epsilon(1e-9));
  }
}

TEST_CASE("a stop request ends a validation pass between chunks, marked as partial") {
  ModelConfig config = tiny_config(CellKind::lstm);
  nn::Network network(config);
  network.initialize(4);
  const TokenIds ids = random_span(config, 62);
  StopRequest stop;
  const infer::SpanScore whole = infer::score_span(network, ids, 0, ids.size(), 7, 10, 0, 1, &stop);
  CHECK_FALSE(whole.interrupted);
  CHECK(whole.units == 7 * (502 / 7));
  stop.request_stop();
  const infer::SpanScore stopped = infer::score_span(network, ids, 0, ids.size(), 7, 10, 0, 1, &stop);
  CHECK(stopped.interrupted);
  CHECK(stopped.units == 0);  // asked before the first chunk: nothing scored
}
