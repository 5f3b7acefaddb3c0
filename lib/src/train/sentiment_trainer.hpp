// The sentiment classifier's training run as a class with phases, as the language model's
// Trainer is: setup (sentiment_setup.cpp), checkpoints (sentiment_checkpoint.cpp), and the
// epochs with their evaluation and output (sentiment_trainer.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "charloom/model_file.hpp"
#include "charloom/sentiment_training.hpp"
#include "data/labeled_dataset.hpp"
#include "infer/class_language_models.hpp"
#include "infer/text_batches.hpp"
#include "nn/classifier.hpp"
#include "train/checkpoints.hpp"
#include "train/language_model_loss.hpp"
#include "train/optimizer.hpp"
#include "train/run_log.hpp"
#include "train/schedule.hpp"
#include "train/weight_drop.hpp"

namespace charloom::train {

// Where a run stands, as a checkpoint records it: with the parameters, the optimizer's
// moments and the best parameters, enough to continue exactly (an epoch's batches depend
// only on the seed and the epoch).
struct SentimentRunState {
  std::int64_t epoch = 1;  // the epoch in progress
  std::size_t batch = 0;   // batches of it already done
  std::int64_t iterations = 0, optimizer_steps = 0, epochs_without_improvement = 0, texts_seen = 0, best_epoch = 0;
  double best_accuracy = 0.0, best_loss = 0.0, epoch_loss = 0.0, epoch_weight = 0.0, elapsed_seconds = 0.0;
  double epoch_lm_loss = 0.0;  // with --lm-loss-weight: the sum of the epoch's batch means
  double lr_scale = 1.0;       // halved by each rollback after a divergence
  // What the run trains on, so that a resume on other data or settings is refused (0 = not
  // recorded, in checkpoints from before format 3).
  std::uint64_t seed = 0, train_fingerprint = 0, dev_fingerprint = 0;
  int batch_size = 0;
};

// The dev figures of the classifier as it is: accuracy at 0.5 and the mean logistic loss.
// With class language models, the figures are the combined score's at the weight that dev
// prefers: the model the run would save.
struct DevFigures {
  double accuracy = 0.0, loss = 0.0;
  double classifier_accuracy = 0.0;  // of the classifier alone
  double class_lm_weight = 0.0;
  std::vector<float> logits;  // the classifier's own, per dev text
};

class SentimentTrainer {
 public:
  SentimentTrainer(const SentimentTrainingConfig& config, const RunHooks& hooks);
  SentimentTrainingSummary run();

 private:
  // Setup, in this order.
  void load_start();
  void read_data();
  void load_class_models();
  void build_classifier();
  void build_techniques();
  // Checkpoints.
  ModelFile checkpoint_file();
  void write_checkpoint(bool is_best);
  void restore(const ModelFile& checkpoint, const std::string& path);
  void restore_logit_history(const ModelFile& checkpoint);
  void check_same_run(const SentimentRunState& saved, const std::string& path) const;
  // The run.
  void fit_probe();
  bool train_epoch();
  bool train_batch(const std::vector<std::size_t>& members);
  bool step_or_roll_back(double loss);
  bool stop_requested();
  void finish_epoch(std::size_t batch_count);
  DevFigures evaluate();
  void write_output();
  nlohmann::json training_record() const;
  void write_summary() const;
  double seconds() const;

  SentimentTrainingConfig config_;
  RunHooks hooks_;
  RunLog log_;
  std::chrono::steady_clock::time_point started_;

  ModelConfig model_;
  ModelFile start_model_, resumed_from_;  // --init-from's model, and --resume's checkpoint
  std::string checkpoint_path_;
  Vocabulary vocabulary_;
  data::LabeledDataset train_, dev_;
  ModelFile with_class_models_;  // the class language models, as the output carries them
  std::optional<infer::ClassLanguageModels> class_models_;
  std::vector<double> dev_ratios_;  // their log-likelihood ratios on dev, computed once

  std::unique_ptr<nn::Classifier> classifier_;
  std::size_t head_begin_ = 0;  // the classifier layer's span of the buffer starts here
  double positive_weight_ = 1.0, negative_weight_ = 1.0;
  std::unique_ptr<Optimizer> optimizer_, lm_optimizer_;
  ScheduleSettings schedule_;
  std::vector<float> best_, average_, anchor_;  // average_: with --ema-decay; anchor_: --decay-to-pretrained
  std::optional<WeightDrop> weight_drop_;
  std::optional<LanguageModelLoss> lm_loss_;
  nn::TopGradientHook add_lm_loss_;

  std::unique_ptr<CheckpointDirectory> checkpoints_;
  std::string last_checkpoint_;
  ModelFile snapshot_;  // the last checkpoint's state, for --on-divergence rollback
  int rollbacks_ = 0;
  SentimentRunState run_;
  DevFigures best_dev_;
  // Each epoch's dev logits (epoch 0: before training), for held_out_half_accuracy.
  std::vector<std::vector<float>> epoch_logits_;
  SentimentTrainingSummary summary_;
  double last_rate_ = 0.0, epochs_done_ = 0.0;
  std::int64_t texts_this_run_ = 0;
  infer::PaddedBatch padded_;
  std::vector<float> targets_, weights_;
};

}  // namespace charloom::train
