// A grid search over the class language models' weight, scored on dev.
#include "train/class_model_weight.hpp"

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"

namespace charloom::train {

ClassModelWeight score_at_weight(const std::vector<float>& logits, const std::vector<double>& ratios,
                                 const std::vector<int>& labels, double weight, double scale) {
  if ((!ratios.empty() && logits.size() != ratios.size()) || logits.size() != labels.size() || logits.empty())
    throw Error("score_at_weight: logits, ratios and labels must be as many, and some");
  ClassModelWeight figures;
  figures.weight = weight;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double z = scale * (logits[i] + (ratios.empty() ? 0.0 : weight * ratios[i])), y = labels[i];
    figures.accuracy += (z >= 0.0) == (labels[i] == 1);
    figures.loss += std::max(z, 0.0) - y * z + std::log1p(std::exp(-std::abs(z)));
  }
  figures.accuracy /= static_cast<double>(logits.size());
  figures.loss /= static_cast<double>(logits.size());
  return figures;
}

ClassModelWeight fit_class_model_weight(const std::vector<float>& logits, const std::vector<double>& ratios,
                                        const std::vector<int>& labels) {
  if (ratios.size() != logits.size()) throw Error("fit_class_model_weight: logits and ratios must be as many");
  ClassModelWeight best;
  for (int step = 0; step <= 200; ++step) {
    const ClassModelWeight candidate = score_at_weight(logits, ratios, labels, step / 100.0);
    if (step == 0 || candidate.accuracy > best.accuracy ||
        (candidate.accuracy == best.accuracy && candidate.loss < best.loss))
      best = candidate;
  }
  return best;
}

double fit_score_scale(const std::vector<float>& logits, const std::vector<double>& ratios,
                       const std::vector<int>& labels, double weight) {
  double best_scale = 1.0, best_loss = score_at_weight(logits, ratios, labels, weight).loss;
  for (int step = 1; step <= 500; ++step) {
    const double loss = score_at_weight(logits, ratios, labels, weight, step / 100.0).loss;
    if (loss < best_loss) best_scale = step / 100.0, best_loss = loss;
  }
  return best_scale;
}

}  // namespace charloom::train
