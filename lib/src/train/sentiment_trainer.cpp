// Training a sentiment classifier: epochs of length-bucketed batches with Adam, each scored
// on dev, keeping the model that scores best; or a probe fitted on frozen features.
#include "train/sentiment_trainer.hpp"

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"
#include "charloom/training.hpp"
#include "data/labeled_batcher.hpp"
#include "io/atomic_file.hpp"
#include "train/class_model_weight.hpp"
#include "train/probe.hpp"
#include "train/run_control.hpp"

namespace charloom::train {
namespace {

constexpr int max_rollbacks = 8;

// One step of the exponential moving average of the weights.
void update_average(std::vector<float>& average, const std::vector<float>& weights, double decay) {
  const auto keep = static_cast<float>(decay), take = static_cast<float>(1.0 - decay);
  const std::size_t n = weights.size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) average[i] = keep * average[i] + take * weights[i];
}

// Moves weights [0, count) a fraction of the way back to the anchor's.
void pull_towards(std::vector<float>& weights, const std::vector<float>& anchor, std::size_t count, double fraction) {
  const auto f = static_cast<float>(fraction);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < count; ++i) weights[i] -= f * (weights[i] - anchor[i]);
}

// The pooled features of every text, for the probe.
FeatureSet features_of(nn::Classifier& classifier, const data::LabeledDataset& data) {
  FeatureSet set;
  set.width = static_cast<std::size_t>(classifier.config().pooled_width());
  set.labels = data.labels;
  set.rows.assign(data.texts.size() * set.width, 0.0f);
  infer::classify_batches(classifier, data.texts, 64,
                          [&](std::span<const std::size_t> members, const float*, const float* features) {
                            for (std::size_t column = 0; column < members.size(); ++column)
                              std::copy_n(features + column * set.width, set.width,
                                          set.rows.begin() + static_cast<std::ptrdiff_t>(members[column] * set.width));
                          });
  return set;
}

// Strengths of the probe's penalty tried on dev, as scikit-learn's C.
const std::vector<double> probe_grid{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0};

std::vector<std::size_t> lengths_of(const std::vector<std::vector<std::uint32_t>>& texts) {
  std::vector<std::size_t> lengths;
  for (const auto& text : texts) lengths.push_back(text.size());
  return lengths;
}

}  // namespace

double SentimentTrainer::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

DevFigures SentimentTrainer::evaluate() {
  const std::vector<float> logits = infer::classify(*classifier_, dev_.texts, std::max(config_.batch_size, 64));
  // Weight 0 alone is the classifier by itself.
  const ClassModelWeight alone = score_at_weight(logits, {}, dev_.labels, 0.0);
  const ClassModelWeight fit = class_models_ ? fit_class_model_weight(logits, dev_ratios_, dev_.labels) : alone;
  return {fit.accuracy, fit.loss, alone.accuracy, fit.weight, logits};
}

// Instead of gradient steps: the classifier layer as a penalized logistic regression on the
// frozen encoder's pooled features, its strength chosen on dev.
void SentimentTrainer::fit_probe() {
  const Probe probe = train::fit_probe(features_of(*classifier_, train_), features_of(*classifier_, dev_),
                                       parse_penalty(config_.probe), probe_grid);
  std::vector<float>& parameters = classifier_->parameters();
  const std::size_t weight = classifier_->layout().find("classifier.weight").offset;
  for (std::size_t j = 0; j < probe.weights.size(); ++j) parameters[weight + j] = static_cast<float>(probe.weights[j]);
  parameters[classifier_->layout().find("classifier.bias").offset] = static_cast<float>(probe.bias);
  classifier_->parameters_changed();
  best_ = parameters;
  best_dev_ = evaluate();
  summary_.stopped_by = "probe";
  log_.probe({config_.probe, probe.c, probe.nonzero, probe.weights.size(), best_dev_.accuracy, seconds()});
}

// A stop request or the time limit; the summary says which.
bool SentimentTrainer::stop_requested() {
  if (const int code = stop_code(hooks_.stop); code != 0) {
    summary_.signal = code == stop_without_signal ? 0 : code;
    summary_.stopped_by = stop_reason(code);
  } else if (config_.time_limit > 0.0 && seconds() >= config_.time_limit) {
    summary_.stopped_by = "time-limit";
  }
  return !summary_.stopped_by.empty();
}

// The rest of one epoch; false when a stop came first, after checkpointing where it stood.
bool SentimentTrainer::train_epoch() {
  const auto batches = data::epoch_batches(lengths_of(train_.texts), config_.batch_size, config_.seed,
                                           static_cast<std::uint64_t>(run_.epoch));
  if (run_.batch == 0) run_.epoch_loss = run_.epoch_weight = run_.epoch_lm_loss = 0.0;
  while (run_.batch < batches.size()) {
    if (!train_batch(batches[run_.batch])) return train_epoch();  // rolled back: go on from there
    ++run_.batch;
    if (stop_requested()) {
      // Mid-epoch: the checkpoint holds the batches done, so a resumed run goes on exactly.
      epochs_done_ =
          static_cast<double>(run_.epoch - 1) + static_cast<double>(run_.batch) / static_cast<double>(batches.size());
      write_checkpoint(false);
      return false;
    }
  }
  finish_epoch(batches.size());
  return true;
}

// One step; false when a divergence rolled the run back to its last checkpoint instead.
bool SentimentTrainer::train_batch(const std::vector<std::size_t>& members) {
  infer::fill_batch(train_.texts, members, config_.batch_size, padded_);
  targets_.assign(static_cast<std::size_t>(config_.batch_size), 0.0f);
  weights_.assign(static_cast<std::size_t>(config_.batch_size), 0.0f);
  double batch_weight = 0.0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    targets_[i] = train_.targets[members[i]];
    weights_[i] = static_cast<float>(train_.labels[members[i]] == 1 ? positive_weight_ : negative_weight_);
    batch_weight += weights_[i];
  }
  if (weight_drop_) {
    weight_drop_->mask(classifier_->parameters(), static_cast<std::uint64_t>(run_.iterations));
    classifier_->parameters_changed();
  }
  const double loss = classifier_->train_batch(padded_.view(), targets_.data(), weights_.data(), config_.seed,
                                               static_cast<std::uint64_t>(run_.iterations), add_lm_loss_);
  if (weight_drop_) weight_drop_->unmask(classifier_->parameters(), classifier_->gradients());  // pushed after the step
  if (!step_or_roll_back(loss)) return false;
  run_.epoch_loss += loss;
  run_.epoch_weight += batch_weight;
  ++run_.iterations;
  run_.texts_seen += static_cast<std::int64_t>(members.size());
  texts_this_run_ += static_cast<std::int64_t>(members.size());
  return true;
}

// Clips and applies the gradients with every technique's own step; or, when the loss or the
// gradients are not finite, rolls back to the last checkpoint (returning false) or throws.
bool SentimentTrainer::step_or_roll_back(double loss) {
  std::vector<float>& gradients = classifier_->gradients();
  if (config_.freeze_encoder || run_.epoch <= config_.head_only_epochs)
    std::fill(gradients.begin(), gradients.begin() + static_cast<std::ptrdiff_t>(head_begin_), 0.0f);
  const double norm = global_norm(gradients);
  if (!std::isfinite(loss) || !std::isfinite(norm)) {
    const std::string what = std::string(!std::isfinite(loss) ? "the loss" : "the gradient norm") +
                             " stopped being finite at iteration " + std::to_string(run_.iterations + 1);
    if (config_.on_divergence != "rollback" || rollbacks_ >= max_rollbacks)
      throw TrainingDiverged(what + "; the last good checkpoint is " +
                             (last_checkpoint_.empty() ? std::string("(none yet)") : last_checkpoint_) +
                             (rollbacks_ > 0 ? "; it diverged again after " + std::to_string(rollbacks_) +
                                                   " rollbacks: lower --learning-rate"
                                             : "; lower --learning-rate or pass --on-divergence=rollback"));
    ++rollbacks_;
    const double lr_scale = run_.lr_scale * 0.5;
    restore(snapshot_, last_checkpoint_.empty() ? std::string("the starting state") : last_checkpoint_);
    if (run_.batch == 0) run_.epoch_loss = run_.epoch_weight = run_.epoch_lm_loss = 0.0;
    run_.lr_scale = lr_scale;
    log_.note(what + "; rolled back to iteration " + std::to_string(run_.iterations) +
              " with the learning rate halved");
    return false;
  }
  if (config_.grad_clip > 0.0) clip_to_norm(gradients, norm, config_.grad_clip);
  last_rate_ = learning_rate_at(schedule_, run_.iterations) * run_.lr_scale;
  optimizer_->step(classifier_->parameters(), gradients, last_rate_);
  if (lm_loss_) {
    std::vector<float>& head_gradients = lm_loss_->gradients();
    if (config_.grad_clip > 0.0) clip_to_norm(head_gradients, global_norm(head_gradients), config_.grad_clip);
    lm_optimizer_->step(lm_loss_->parameters(), head_gradients, last_rate_);
  }
  if (!anchor_.empty())
    pull_towards(classifier_->parameters(), anchor_, head_begin_, last_rate_ * config_.decay_to_pretrained);
  classifier_->parameters_changed();
  if (!average_.empty()) update_average(average_, classifier_->parameters(), config_.ema_decay);
  return true;
}

// The epoch's figures on dev (of the average, with --ema-decay), its record, and a checkpoint
// that stands at the start of the next epoch.
void SentimentTrainer::finish_epoch(std::size_t batch_count) {
  epochs_done_ = static_cast<double>(run_.epoch);
  summary_.train_loss = run_.epoch_weight > 0.0 ? run_.epoch_loss / run_.epoch_weight : 0.0;
  summary_.lm_loss = run_.epoch_lm_loss / static_cast<double>(batch_count);
  const auto swap_average = [&] {
    std::swap(classifier_->parameters(), average_);
    classifier_->parameters_changed();
  };
  if (!average_.empty()) swap_average();
  const DevFigures figures = evaluate();
  epoch_logits_.push_back(figures.logits);
  const bool improved = better_on_dev(figures.accuracy, figures.loss, best_dev_.accuracy, best_dev_.loss);
  if (improved) best_ = classifier_->parameters();
  if (!average_.empty()) swap_average();
  if (improved) {
    best_dev_ = figures;
    run_.best_epoch = run_.epoch;
    run_.best_accuracy = figures.accuracy;
    run_.best_loss = figures.loss;
    run_.epochs_without_improvement = 0;
  } else {
    ++run_.epochs_without_improvement;
  }
  log_.epoch({run_.epoch, run_.iterations, summary_.train_loss, lm_loss_.has_value(), summary_.lm_loss,
              figures.accuracy, figures.loss, class_models_.has_value(), figures.classifier_accuracy,
              figures.class_lm_weight, last_rate_, !config_.freeze_encoder && run_.epoch > config_.head_only_epochs,
              improved, seconds()});
  ++run_.epoch;
  run_.batch = 0;
  write_checkpoint(improved);
}

SentimentTrainingSummary SentimentTrainer::run() {
  summary_.parameters = static_cast<std::int64_t>(best_.size());
  if (config_.resume.empty()) {
    best_dev_ = evaluate();
    epoch_logits_ = {best_dev_.logits};
    run_.best_accuracy = best_dev_.accuracy;
    run_.best_loss = best_dev_.loss;
    snapshot_ = checkpoint_file();  // what a divergence before the first checkpoint goes back to
  }
  epochs_done_ = static_cast<double>(run_.epoch - 1);
  if (!config_.probe.empty()) fit_probe();
  while (config_.probe.empty() && (config_.max_epochs == 0 || run_.epoch <= config_.max_epochs)) {
    if (!train_epoch()) break;
    if (config_.patience > 0 && run_.epochs_without_improvement >= config_.patience) {
      summary_.stopped_by = "patience";
      break;
    }
    if (config_.max_epochs != 0 && run_.epoch > config_.max_epochs) summary_.stopped_by = "max-epochs";
  }
  summary_.iterations = run_.iterations;
  summary_.epochs = epochs_done_;
  summary_.best_epoch = run_.best_epoch;
  summary_.last_checkpoint = last_checkpoint_;
  summary_.dev_accuracy = summary_.classifier_dev_accuracy = best_dev_.accuracy;
  summary_.dev_loss = best_dev_.loss;
  if (config_.probe.empty() && dev_.labels.size() >= 2 && !epoch_logits_.empty())
    summary_.dev_accuracy_half_fitted = held_out_half_accuracy(epoch_logits_, dev_ratios_, dev_.labels);
  summary_.seconds = seconds();
  summary_.texts_per_second = summary_.seconds > 0.0 ? static_cast<double>(texts_this_run_) / summary_.seconds : 0.0;
  summary_.output = config_.output;
  write_output();
  write_summary();
  return summary_;
}

// The best model, with the class language models' weight and scale fitted on dev.
void SentimentTrainer::write_output() {
  ModelFile file;
  file.kind = sentiment_classifier_kind;
  file.config = model_;
  file.vocabulary = vocabulary_;
  file.tensors = nn::named_tensors(classifier_->layout(), best_);
  if (class_models_) {
    // Scored again: a resumed run's state keeps the best figures but not the weight.
    classifier_->parameters() = best_;
    classifier_->parameters_changed();
    const DevFigures fit = evaluate();
    const double scale = fit_score_scale(fit.logits, dev_ratios_, dev_.labels, fit.class_lm_weight);
    file.class_language_models = with_class_models_.class_language_models;
    file.class_language_model_weight = fit.class_lm_weight;
    file.class_language_model_scale = scale;
    summary_.class_lm_weight = fit.class_lm_weight;
    summary_.class_lm_scale = scale;
    summary_.classifier_dev_accuracy = fit.classifier_accuracy;
    summary_.dev_accuracy = fit.accuracy;
    summary_.dev_loss = score_at_weight(fit.logits, dev_ratios_, dev_.labels, fit.class_lm_weight, scale).loss;
  }
  file.training_json = training_record().dump();
  save_model_file(config_.output, file);
}

nlohmann::json SentimentTrainer::training_record() const {
  const SentimentTrainingConfig& c = config_;
  return {{"task", "sentiment"},
          {"train", c.train_path},
          {"dev", c.dev_path},
          {"init_from", c.init_from},
          {"freeze_encoder", c.freeze_encoder},
          {"probe", c.probe},
          {"bidirectional", model_.bidirectional},
          {"batch_size", c.batch_size},
          {"learning_rate", c.learning_rate},
          {"lr_schedule", c.lr_schedule},
          {"head_only_epochs", c.head_only_epochs},
          {"ema_decay", c.ema_decay},
          {"decay_to_pretrained", c.decay_to_pretrained},
          {"weight_drop", c.weight_drop},
          {"lm_loss_weight", c.lm_loss_weight},
          {"max_length", c.max_length},
          {"class_weight", c.class_weight},
          {"seed", c.seed},
          {"iterations", summary_.iterations},
          {"best_epoch", summary_.best_epoch},
          {"dev_accuracy", summary_.dev_accuracy},
          {"positive_lm", c.positive_lm},
          {"negative_lm", c.negative_lm},
          {"class_lm_weight", summary_.class_lm_weight},
          {"class_lm_scale", summary_.class_lm_scale},
          {"classifier_dev_accuracy", summary_.classifier_dev_accuracy},
          {"dev_accuracy_half_fitted", summary_.dev_accuracy_half_fitted},
          {"invocation", c.invocation}};
}

void SentimentTrainer::write_summary() const {
  if (config_.summary_path.empty()) return;
  const SentimentTrainingSummary& s = summary_;
  const nlohmann::json out{{"iterations", s.iterations},
                           {"epochs", s.epochs},
                           {"train_loss", s.train_loss},
                           {"lm_loss", s.lm_loss},
                           {"dev_accuracy", s.dev_accuracy},
                           {"dev_loss", s.dev_loss},
                           {"classifier_dev_accuracy", s.classifier_dev_accuracy},
                           {"dev_accuracy_half_fitted", s.dev_accuracy_half_fitted},
                           {"class_lm_weight", s.class_lm_weight},
                           {"class_lm_scale", s.class_lm_scale},
                           {"best_epoch", s.best_epoch},
                           {"seconds", s.seconds},
                           {"texts_per_second", s.texts_per_second},
                           {"parameters", s.parameters},
                           {"stopped_by", s.stopped_by},
                           {"checkpoint", s.last_checkpoint},
                           {"output", s.output}};
  io::write_file_atomically(config_.summary_path, out.dump(2) + "\n");
}

}  // namespace charloom::train

namespace charloom {

SentimentTrainingSummary train_sentiment_classifier(const SentimentTrainingConfig& config, const RunHooks& hooks) {
  return train::SentimentTrainer(config, hooks).run();
}

}  // namespace charloom
