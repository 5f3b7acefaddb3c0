// The "sentiment neuron" probe: an L1- or L2-penalized logistic regression on a frozen
// encoder's features, with its strength C chosen on dev.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace charloom::train {

enum class Penalty { l1, l2 };
Penalty parse_penalty(std::string_view name);  // l1 or l2; UsageError otherwise

// Rows of `width` features, one per text.
struct FeatureSet {
  std::vector<float> rows;
  std::vector<int> labels;
  std::size_t width = 0;
  std::size_t size() const { return labels.size(); }
};

struct Probe {
  std::vector<double> weights;  // on the raw features
  double bias = 0.0;
  double c = 0.0;  // the chosen inverse penalty strength, as scikit-learn's C
  double dev_accuracy = 0.0;
  std::size_t nonzero = 0;  // weights that are not exactly zero
};

// Minimizes penalty(w) + C * sum(log-loss), as scikit-learn's LogisticRegression, on
// standardized features by FISTA (proximal for L1), for each C of the grid; keeps the C
// with the best dev accuracy (the smaller C on a tie, for the simpler model).
Probe fit_probe(const FeatureSet& train, const FeatureSet& dev, Penalty penalty, const std::vector<double>& grid);

}  // namespace charloom::train
