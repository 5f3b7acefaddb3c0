// The mixture's forward pass: each member on its share of the state, then the mean of the
// members' probabilities, kept in double so that a mixture of one model with itself scores
// as the model does.
#include "nn/mixture.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace charloom::nn {

Mixture::Mixture(const ModelFile& file, Precision precision) {
  members_.reserve(1 + file.mixture_members.size());
  int layers = 0;
  const auto add = [&](const ModelFile& member) {
    members_.emplace_back(member.config, precision);
    members_.back().load_tensors(member.tensors);
    first_layer_.push_back(layers);
    layers += member.config.layers;
  };
  add(file);
  for (const ModelFile& member : file.mixture_members) add(member);
  state_config_ = file.config;
  state_config_.layers = layers;
}

const float* Mixture::member_logits(std::size_t m, const std::uint32_t* inputs, int steps, int batch,
                                    StreamState& state) {
  const auto first = static_cast<std::ptrdiff_t>(first_layer_[m]);
  const auto count = static_cast<std::ptrdiff_t>(members_[m].config().layers);
  const bool cells = !state.c.empty();
  // Moving the member's layers out and back copies no state.
  member_state_.batch = state.batch;
  member_state_.h.assign(std::make_move_iterator(state.h.begin() + first),
                         std::make_move_iterator(state.h.begin() + first + count));
  member_state_.c.clear();
  if (cells)
    member_state_.c.assign(std::make_move_iterator(state.c.begin() + first),
                           std::make_move_iterator(state.c.begin() + first + count));
  const float* logits = members_[m].forward_logits(inputs, steps, batch, member_state_);
  state.batch = member_state_.batch;
  std::move(member_state_.h.begin(), member_state_.h.end(), state.h.begin() + first);
  if (cells) std::move(member_state_.c.begin(), member_state_.c.end(), state.c.begin() + first);
  return logits;
}

const float* Mixture::forward_logits(const std::uint32_t* inputs, int steps, int batch, StreamState& state) {
  if (members_.size() == 1) return members_.front().forward_logits(inputs, steps, batch, state);
  // Each member's logits stay valid until its next call, so all of them run first.
  member_logits_.clear();
  for (std::size_t m = 0; m < members_.size(); ++m)
    member_logits_.push_back(member_logits(m, inputs, steps, batch, state));
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  const auto width = static_cast<std::size_t>(config().vocabulary_size);
  const double share = 1.0 / static_cast<double>(members_.size());
  log_mean_.resize(rows * width);
  logits_.resize(rows * width);
  // One sampled row is too little work to share among threads.
#pragma omp parallel for schedule(static) if (rows > 1)
  for (std::size_t row = 0; row < rows; ++row) {
    double* mean = log_mean_.data() + row * width;
    std::fill(mean, mean + width, 0.0);
    for (const float* logits : member_logits_) {
      const float* z = logits + row * width;
      const double peak = *std::max_element(z, z + width);
      double total = 0.0;
      for (std::size_t j = 0; j < width; ++j) total += std::exp(z[j] - peak);
      const double scale = share / total;
      for (std::size_t j = 0; j < width; ++j) mean[j] += std::exp(z[j] - peak) * scale;
    }
    for (std::size_t j = 0; j < width; ++j) {
      mean[j] = std::log(mean[j]);
      logits_[row * width + j] = static_cast<float>(mean[j]);
    }
  }
  return logits_.data();
}

double Mixture::score_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                            StreamState& state) {
  if (members_.size() == 1) return members_.front().score_batch(inputs, targets, steps, batch, state);
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  const auto width = static_cast<std::size_t>(config().vocabulary_size);
  forward_logits(inputs, steps, batch, state);
  if (row_losses_.size() < rows) row_losses_.resize(rows);
  double loss = 0.0;  // summed in order: the same for any thread count
  for (std::size_t row = 0; row < rows; ++row) loss += row_losses_[row] = -log_mean_[row * width + targets[row]];
  return loss;
}

const std::vector<double>& Mixture::last_row_losses() const {
  return members_.size() == 1 ? members_.front().last_row_losses() : row_losses_;
}

}  // namespace charloom::nn
