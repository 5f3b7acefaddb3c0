// A grid search over the class language models' weight, scored on dev.
#include "train/class_model_weight.hpp"

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"

namespace charloom::train {

ClassModelWeight fit_class_model_weight(const std::vector<float>& logits, const std::vector<double>& ratios,
                                        const std::vector<int>& labels) {
  if (logits.size() != ratios.size() || logits.size() != labels.size() || logits.empty())
    throw Error("fit_class_model_weight: logits, ratios and labels must be as many, and some");
  ClassModelWeight best;
  const double count = static_cast<double>(logits.size());
  for (int step = 0; step <= 200; ++step) {
    ClassModelWeight candidate;
    candidate.weight = step / 100.0;
    for (std::size_t i = 0; i < logits.size(); ++i) {
      const double z = logits[i] + candidate.weight * ratios[i], y = labels[i];
      candidate.accuracy += (z >= 0.0) == (labels[i] == 1);
      candidate.loss += std::max(z, 0.0) - y * z + std::log1p(std::exp(-std::abs(z)));
    }
    candidate.accuracy /= count;
    candidate.loss /= count;
    if (step == 0 || candidate.accuracy > best.accuracy ||
        (candidate.accuracy == best.accuracy && candidate.loss < best.loss))
      best = candidate;
  }
  return best;
}

}  // namespace charloom::train
