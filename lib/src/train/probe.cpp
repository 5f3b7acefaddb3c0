// Penalized logistic regression by FISTA (Beck and Teboulle, 2009) on standardized features;
// the step comes from the largest eigenvalue of the feature covariance, by power iteration.
#include "train/probe.hpp"

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"

namespace charloom::train {
namespace {

struct Standardized {
  std::vector<double> mean, scale;  // scale 0 marks a constant feature
};

Standardized standardize(const FeatureSet& data) {
  Standardized s{std::vector<double>(data.width, 0.0), std::vector<double>(data.width, 0.0)};
  for (std::size_t i = 0; i < data.size(); ++i)
    for (std::size_t j = 0; j < data.width; ++j) s.mean[j] += data.rows[i * data.width + j];
  for (double& m : s.mean) m /= static_cast<double>(data.size());
  for (std::size_t i = 0; i < data.size(); ++i)
    for (std::size_t j = 0; j < data.width; ++j) {
      const double d = data.rows[i * data.width + j] - s.mean[j];
      s.scale[j] += d * d;
    }
  for (double& v : s.scale) v = std::sqrt(v / static_cast<double>(data.size()));
  return s;
}

// The standardized features as one dense row-major matrix in double.
std::vector<double> standardized_rows(const FeatureSet& data, const Standardized& s) {
  std::vector<double> x(data.rows.size());
  for (std::size_t i = 0; i < data.size(); ++i)
    for (std::size_t j = 0; j < data.width; ++j)
      x[i * data.width + j] = s.scale[j] > 0.0 ? (data.rows[i * data.width + j] - s.mean[j]) / s.scale[j] : 0.0;
  return x;
}

// The largest eigenvalue of X^T X / N.
double largest_eigenvalue(const std::vector<double>& x, std::size_t n, std::size_t width) {
  std::vector<double> v(width, 1.0 / std::sqrt(static_cast<double>(width))), xv(n), next(width);
  double eigenvalue = 1.0;
  for (int iteration = 0; iteration < 50; ++iteration) {
    for (std::size_t i = 0; i < n; ++i) {
      double sum = 0.0;
      for (std::size_t j = 0; j < width; ++j) sum += x[i * width + j] * v[j];
      xv[i] = sum;
    }
    std::fill(next.begin(), next.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < width; ++j) next[j] += x[i * width + j] * xv[i];
    double norm = 0.0;
    for (double value : next) norm += value * value;
    norm = std::sqrt(norm);
    if (norm == 0.0) return 1.0;
    eigenvalue = norm / static_cast<double>(n);
    for (std::size_t j = 0; j < width; ++j) v[j] = next[j] / norm;
  }
  return eigenvalue;
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Mean log-loss plus penalty / (C N), from w (width) and b (the last entry of `w`).
void fit(const std::vector<double>& x, const std::vector<int>& y, std::size_t width, Penalty penalty, double c,
         double lipschitz, std::vector<double>& w) {
  const std::size_t n = y.size();
  const double lambda = 1.0 / (c * static_cast<double>(n));
  const double step = 1.0 / (lipschitz + (penalty == Penalty::l2 ? lambda : 0.0));
  std::vector<double> z = w, previous = w, gradient(width + 1), margin(n);
  double t = 1.0;
  for (int iteration = 0; iteration < 1000; ++iteration) {
    for (std::size_t i = 0; i < n; ++i) {
      double sum = z[width];
      for (std::size_t j = 0; j < width; ++j) sum += x[i * width + j] * z[j];
      margin[i] = (sigmoid(sum) - y[i]) / static_cast<double>(n);
    }
    std::fill(gradient.begin(), gradient.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < width; ++j) gradient[j] += x[i * width + j] * margin[i];
      gradient[width] += margin[i];
    }
    previous = w;
    for (std::size_t j = 0; j <= width; ++j) {
      double value = z[j] - step * gradient[j];
      if (j < width) {
        if (penalty == Penalty::l2) {
          value = z[j] - step * (gradient[j] + lambda * z[j]);
        } else {  // soft threshold: the proximal step of the L1 norm
          const double shrink = step * lambda;
          value = value > shrink ? value - shrink : value < -shrink ? value + shrink : 0.0;
        }
      }
      w[j] = value;
    }
    const double next_t = (1.0 + std::sqrt(1.0 + 4.0 * t * t)) / 2.0;
    for (std::size_t j = 0; j <= width; ++j) z[j] = w[j] + (t - 1.0) / next_t * (w[j] - previous[j]);
    t = next_t;
  }
}

double accuracy(const std::vector<double>& x, const std::vector<int>& y, std::size_t width,
                const std::vector<double>& w) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    double sum = w[width];
    for (std::size_t j = 0; j < width; ++j) sum += x[i * width + j] * w[j];
    right += (sum >= 0.0) == (y[i] == 1);
  }
  return static_cast<double>(right) / static_cast<double>(y.size());
}

}  // namespace

Penalty parse_penalty(std::string_view name) {
  if (name == "l1") return Penalty::l1;
  if (name == "l2") return Penalty::l2;
  throw UsageError("--probe must be l1 or l2, got '" + std::string(name) + "'");
}

Probe fit_probe(const FeatureSet& train, const FeatureSet& dev, Penalty penalty, const std::vector<double>& grid) {
  if (train.size() == 0 || dev.size() == 0 || grid.empty()) throw Error("fit_probe needs data and a grid of C");
  const std::size_t width = train.width;
  const Standardized s = standardize(train);
  const std::vector<double> x = standardized_rows(train, s), x_dev = standardized_rows(dev, s);
  const double lipschitz = 0.25 * largest_eigenvalue(x, train.size(), width) + 0.25;  // + the bias's own term
  std::vector<double> sorted = grid;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> w(width + 1, 0.0), best_w;
  Probe best;
  best.dev_accuracy = -1.0;
  for (double c : sorted) {  // from strong to weak penalty, each warm-started from the last
    fit(x, train.labels, width, penalty, c, lipschitz, w);
    const double dev_accuracy = accuracy(x_dev, dev.labels, width, w);
    if (dev_accuracy > best.dev_accuracy) {
      best.dev_accuracy = dev_accuracy;
      best.c = c;
      best_w = w;
    }
  }
  // Back to the raw features: w_j / scale_j, with the means folded into the bias.
  best.weights.assign(width, 0.0);
  best.bias = best_w[width];
  for (std::size_t j = 0; j < width; ++j) {
    if (s.scale[j] == 0.0 || best_w[j] == 0.0) continue;
    best.weights[j] = best_w[j] / s.scale[j];
    best.bias -= best.weights[j] * s.mean[j];
    ++best.nonzero;
  }
  return best;
}

}  // namespace charloom::train
