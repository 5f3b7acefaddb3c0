// Fitting, on dev, how much the class language models' log-likelihood ratio adds to a
// sentiment classifier's logit.
#pragma once

#include <cstdint>
#include <vector>

namespace charloom::train {

struct ClassModelWeight {
  double weight = 0.0;
  double accuracy = 0.0;  // of logit + weight * ratio >= 0 against the labels
  double loss = 0.0;      // the mean logistic loss of the same
};

// The rule that picks among candidates on dev (weights, epochs): the better accuracy, ties
// going to the lower loss; a full tie keeps the earlier candidate.
inline bool better_on_dev(double accuracy, double loss, double best_accuracy, double best_loss) {
  return accuracy > best_accuracy || (accuracy == best_accuracy && loss < best_loss);
}

// The figures of scale * (logit + weight * ratio). Empty ratios stand for zeros: the
// classifier alone.
ClassModelWeight score_at_weight(const std::vector<float>& logits, const std::vector<double>& ratios,
                                 const std::vector<int>& labels, double weight, double scale = 1.0);

// The weight among 0, 0.01, ..., 2 with the best accuracy, ties going to the lower loss
// (the rule that picks a classifier's best epoch). Weight 0 is the classifier alone.
ClassModelWeight fit_class_model_weight(const std::vector<float>& logits, const std::vector<double>& ratios,
                                        const std::vector<int>& labels);

// The scale s among 0.01, 0.02, ..., 5 for which sigmoid(s * (logit + weight * ratio)) has the
// lowest mean logistic loss: a fitted weight favours accuracy and may leave the scores far too
// sure, and a positive scale mends that without changing any decision.
double fit_score_scale(const std::vector<float>& logits, const std::vector<double>& ratios,
                       const std::vector<int>& labels, double weight);

// How well the choices a run makes on dev carry to text they were not made on. The choices
// (the epoch, then the class models' weight, each by better_on_dev, as the trainer makes
// them) are made on one half of dev and
// scored on the other, both ways round, over `halvings` random halvings; the mean accuracy
// is returned. epoch_logits[e] holds epoch e's classifier logits, one per dev text; empty
// ratios mean no class language models. Needs at least two texts.
double held_out_half_accuracy(const std::vector<std::vector<float>>& epoch_logits, const std::vector<double>& ratios,
                              const std::vector<int>& labels, int halvings = 40, std::uint64_t seed = 1);

}  // namespace charloom::train
