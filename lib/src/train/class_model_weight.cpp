// A grid search over the class language models' weight, scored on dev.
#include "train/class_model_weight.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "charloom/errors.hpp"
#include "nn/random.hpp"

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
    if (step == 0 || better_on_dev(candidate.accuracy, candidate.loss, best.accuracy, best.loss)) best = candidate;
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

namespace {

template <class T>
std::vector<T> members_of(const std::vector<T>& all, const std::vector<std::size_t>& members) {
  if (all.empty()) return {};
  std::vector<T> picked;
  picked.reserve(members.size());
  for (const std::size_t i : members) picked.push_back(all[i]);
  return picked;
}

// What dev's texts `members` choose: an epoch and the weight fitted at it.
std::pair<std::size_t, double> choose_on(const std::vector<std::vector<float>>& epoch_logits,
                                         const std::vector<double>& ratios, const std::vector<int>& labels,
                                         const std::vector<std::size_t>& members) {
  const std::vector<double> some_ratios = members_of(ratios, members);
  const std::vector<int> some_labels = members_of(labels, members);
  std::pair<std::size_t, double> choice{0, 0.0};
  ClassModelWeight best;
  for (std::size_t epoch = 0; epoch < epoch_logits.size(); ++epoch) {
    const std::vector<float> logits = members_of(epoch_logits[epoch], members);
    const ClassModelWeight fit = ratios.empty() ? score_at_weight(logits, {}, some_labels, 0.0)
                                                : fit_class_model_weight(logits, some_ratios, some_labels);
    if (epoch == 0 || better_on_dev(fit.accuracy, fit.loss, best.accuracy, best.loss)) {
      best = fit;
      choice = {epoch, fit.weight};
    }
  }
  return choice;
}

}  // namespace

double held_out_half_accuracy(const std::vector<std::vector<float>>& epoch_logits, const std::vector<double>& ratios,
                              const std::vector<int>& labels, int halvings, std::uint64_t seed) {
  const std::size_t count = labels.size();
  if (count < 2 || epoch_logits.empty() || halvings < 1)
    throw Error("held_out_half_accuracy: needs two texts, an epoch and a halving");
  double total = 0.0;
  for (int halving = 0; halving < halvings; ++halving) {
    // A random order by hashed keys; its first half and the rest are the two halves.
    std::vector<std::uint64_t> keys(count);
    for (std::size_t i = 0; i < count; ++i) keys[i] = nn::mix64(nn::mix64(seed ^ nn::mix64(halving)) + i);
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    const std::vector<std::size_t> first(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count / 2));
    const std::vector<std::size_t> second(order.begin() + static_cast<std::ptrdiff_t>(count / 2), order.end());
    for (const auto& [fitted, scored] : {std::pair{&first, &second}, std::pair{&second, &first}}) {
      const auto [epoch, weight] = choose_on(epoch_logits, ratios, labels, *fitted);
      total += score_at_weight(members_of(epoch_logits[epoch], *scored), members_of(ratios, *scored),
                               members_of(labels, *scored), weight)
                   .accuracy;
    }
  }
  return total / (2.0 * halvings);
}

}  // namespace charloom::train
