// Training a sentiment classifier on labeled text, from scratch or from a language model.
#pragma once

#include <cstdint>
#include <string>

#include "charloom/labeled_text.hpp"
#include "charloom/model_config.hpp"
#include "charloom/run_events.hpp"

namespace charloom {

struct SentimentTrainingConfig {
  std::string train_path, dev_path, output;
  LabeledReaderOptions input;  // the format of both files
  ModelConfig model = [] {
    ModelConfig m;
    m.layers = 1;
    m.hidden = 256;
    m.embedding_size = 64;
    m.dropout = 0.1f;
    m.pool = Pooling::max;
    return m;
  }();
  std::uint64_t min_count = 1;
  int max_length = 1000;  // units per text; longer texts are cut

  std::string init_from;        // a language model whose encoder (and vocabulary) to start from
  bool freeze_encoder = false;  // with init_from: fit only the classifier layer
  // With init_from: instead of gradient steps, fit the classifier layer as an "l1" or "l2"
  // penalized logistic regression on the frozen encoder's pooled features, C chosen on dev.
  std::string probe;

  std::string class_weight = "balanced";  // balanced (by inverse class frequency) or none
  int batch_size = 32;
  double learning_rate = 2e-3;
  // The rate over the run, as the language model's: constant, or cosine, which decays to
  // min_lr_fraction of the peak over the last lr_decay_fraction (0 = all) of max_epochs.
  std::string lr_schedule = "constant";
  double min_lr_fraction = 0.02, lr_decay_fraction = 0.0;
  std::int64_t warmup_iters = 0;
  // With init_from: the first head_only_epochs epochs fit only the classifier layer, so that
  // its first, random gradients do not reach the pretrained encoder (ULMFiT's gradual
  // unfreezing, for one recurrent stack).
  int head_only_epochs = 0;
  // With ema_decay in (0, 1): an exponential moving average of the weights, updated after
  // every step as ema = decay * ema + (1 - decay) * weights. Dev accuracy then scores the
  // average, and the output is the best average (Polyak averaging). 0 = off.
  double ema_decay = 0.0;
  // With init_from: after every step, the encoder's weights move back towards the weights
  // they started from by learning rate * decay_to_pretrained of the distance (a decoupled
  // L2-SP penalty, Li et al. 2018), so that fine-tuning on a small set keeps more of what
  // pretraining learned. The classifier layer is not pulled. 0 = off.
  double decay_to_pretrained = 0.0;
  // Training only: each step drops this fraction of the recurrent (hidden-to-hidden) weights,
  // the same ones at every time step (AWD-LSTM's weight drop). 0 = off.
  double weight_drop = 0.0;
  // With init_from a language model: the loss adds this weight times the mean loss of its head
  // predicting each training text's next unit from the encoder's outputs (an auxiliary
  // language-model loss, Chronopoulou et al. 2019), so that fine-tuning keeps the encoder a
  // language model. The head trains too, and stays out of the output. 0 = off.
  double lm_loss_weight = 0.0;
  // Language models fine-tuned on the positive and on the negative training texts: pairs, the
  // i-th of each list one pair (both lists or neither, of one length). The output carries them:
  // a text's score adds a weight, fitted on dev, times the sum over the pairs of
  // log p(text | positive) - log p(text | negative) to the classifier's logit (a generative
  // classifier beside the discriminative one).
  std::vector<std::string> positive_lm, negative_lm;
  double grad_clip = 5.0;
  // When the loss or the gradients stop being finite: stop (with an error naming the last
  // checkpoint), or rollback (to the last checkpoint, with the learning rate halved; 8 at most).
  std::string on_divergence = "stop";
  double weight_decay = 0.0;
  std::int64_t max_epochs = 20;  // 0 = no limit
  double time_limit = 0.0;       // seconds; 0 = no limit
  int patience = 5;              // epochs without a better dev accuracy before stopping; 0 = never
  std::uint64_t seed = 1;
  int threads = 0;

  // A checkpoint after every epoch and on a stop; "" = OUTPUT.checkpoints. --resume takes a
  // checkpoint or a directory (its newest) and continues exactly, with the same data and seed.
  std::string checkpoint_dir, resume;
  int keep_last = 3;

  std::string metrics_path, summary_path;  // metrics append on resume, as the language model's do
  std::string invocation;
};

struct SentimentTrainingSummary {
  std::int64_t iterations = 0;
  double epochs = 0.0;
  double train_loss = 0.0;    // mean weighted logistic loss of the last epoch
  double lm_loss = 0.0;       // with lm_loss_weight: the last epoch's mean next-unit loss, nats
  double dev_accuracy = 0.0;  // of the output model (the best on dev)
  // With class language models: the dev accuracy of the classifier without them, their weight,
  // and the scale that calibrates the scores (1 without them).
  double classifier_dev_accuracy = 0.0;
  double class_lm_weight = 0.0;
  double class_lm_scale = 1.0;
  double dev_loss = 0.0;  // of the output model's scores
  // The dev accuracy with the run's choices (its epoch, and the class models' weight) made on
  // one half of dev and scored on the other: the mean over 40 random halvings, both ways
  // round. Less optimistic than dev_accuracy, which dev chose. 0 for a probe.
  double dev_accuracy_half_fitted = 0.0;
  std::int64_t best_epoch = 0;
  double seconds = 0.0;
  double texts_per_second = 0.0;
  std::int64_t parameters = 0;
  std::string stopped_by;  // max-epochs, time-limit, patience, probe, signal or stop-request
  int signal = 0;
  bool interrupted() const { return stopped_by == "signal" || stopped_by == "stop-request"; }
  std::string last_checkpoint;
  std::string output;
};

// Runs on the calling thread and reports through `hooks`, as train_language_model does.
// Throws UsageError for bad settings and InputError (naming the file and line) for bad data.
SentimentTrainingSummary train_sentiment_classifier(const SentimentTrainingConfig& config, const RunHooks& hooks = {});

}  // namespace charloom
