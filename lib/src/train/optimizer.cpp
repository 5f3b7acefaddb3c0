// Optimizer updates, each one parallel pass over the flat buffers.
#include "train/optimizer.hpp"

#include <cmath>

#include "charloom/errors.hpp"

namespace charloom::train {
namespace {

class Adam final : public Optimizer {
 public:
  Adam(const OptimizerSettings& c, std::size_t n) : config_(c), m_(n, 0.0f), v_(n, 0.0f) {}
  void step(std::vector<float>& p, const std::vector<float>& g, double lr) override {
    ++steps_taken;
    const double b1 = config_.beta1, b2 = config_.beta2;
    const double bias1 = 1.0 - std::pow(b1, static_cast<double>(steps_taken));
    const double bias2 = 1.0 - std::pow(b2, static_cast<double>(steps_taken));
    const float step_size = static_cast<float>(lr / bias1), root_bias2 = static_cast<float>(std::sqrt(bias2));
    const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2), eps = static_cast<float>(config_.epsilon);
    const float decay = static_cast<float>(lr * config_.weight_decay);
    const std::size_t n = p.size();
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
      p[i] -= decay * p[i];
      m_[i] = fb1 * m_[i] + (1.0f - fb1) * g[i];
      v_[i] = fb2 * v_[i] + (1.0f - fb2) * g[i] * g[i];
      p[i] -= step_size * m_[i] / (std::sqrt(v_[i]) / root_bias2 + eps);
    }
  }
  std::vector<std::pair<std::string, std::vector<float>*>> state() override {
    return {{"optimizer.exp_avg", &m_}, {"optimizer.exp_avg_sq", &v_}};
  }

 private:
  OptimizerSettings config_;
  std::vector<float> m_, v_;
};

class RmsProp final : public Optimizer {
 public:
  RmsProp(const OptimizerSettings& c, std::size_t n) : config_(c), v_(n, 0.0f) {}
  void step(std::vector<float>& p, const std::vector<float>& g, double lr) override {
    ++steps_taken;
    const float alpha = static_cast<float>(config_.beta2), eps = static_cast<float>(config_.epsilon);
    const float rate = static_cast<float>(lr), decay = static_cast<float>(lr * config_.weight_decay);
    const std::size_t n = p.size();
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
      p[i] -= decay * p[i];
      v_[i] = alpha * v_[i] + (1.0f - alpha) * g[i] * g[i];
      p[i] -= rate * g[i] / (std::sqrt(v_[i]) + eps);
    }
  }
  std::vector<std::pair<std::string, std::vector<float>*>> state() override { return {{"optimizer.square_avg", &v_}}; }

 private:
  OptimizerSettings config_;
  std::vector<float> v_;
};

class Sgd final : public Optimizer {
 public:
  Sgd(const OptimizerSettings& c, std::size_t n) : config_(c), buffer_(n, 0.0f) {}
  void step(std::vector<float>& p, const std::vector<float>& g, double lr) override {
    const bool first = steps_taken++ == 0;
    const float mu = static_cast<float>(config_.momentum), rate = static_cast<float>(lr);
    const float decay = static_cast<float>(lr * config_.weight_decay);
    const std::size_t n = p.size();
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
      p[i] -= decay * p[i];
      buffer_[i] = first ? g[i] : mu * buffer_[i] + g[i];
      p[i] -= rate * buffer_[i];
    }
  }
  std::vector<std::pair<std::string, std::vector<float>*>> state() override {
    return {{"optimizer.momentum_buffer", &buffer_}};
  }

 private:
  OptimizerSettings config_;
  std::vector<float> buffer_;
};

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& config, std::size_t parameter_count) {
  if (config.optimizer == "adam") return std::make_unique<Adam>(config, parameter_count);
  if (config.optimizer == "rmsprop") return std::make_unique<RmsProp>(config, parameter_count);
  if (config.optimizer == "sgd") return std::make_unique<Sgd>(config, parameter_count);
  throw UsageError("unknown --optimizer '" + config.optimizer + "'; use adam, rmsprop or sgd");
}

double global_norm(const std::vector<float>& values) {
  constexpr std::size_t chunk = 1 << 16;
  const std::size_t chunks = (values.size() + chunk - 1) / chunk;
  std::vector<double> partial(chunks, 0.0);
#pragma omp parallel for schedule(static)
  for (std::size_t c = 0; c < chunks; ++c) {
    double sum = 0.0;
    const std::size_t end = std::min(values.size(), (c + 1) * chunk);
    for (std::size_t i = c * chunk; i < end; ++i) sum += static_cast<double>(values[i]) * values[i];
    partial[c] = sum;
  }
  double total = 0.0;
  for (double part : partial) total += part;
  return std::sqrt(total);
}

void clip_to_norm(std::vector<float>& values, double norm, double max_norm) {
  if (max_norm <= 0.0 || norm <= max_norm) return;
  const float scale = static_cast<float>(max_norm / (norm + 1e-6));
  const std::size_t n = values.size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) values[i] *= scale;
}

}  // namespace charloom::train
