// The sentiment run's setup: the settings checked, the model it starts from, the data as ids,
// the class language models, the classifier and the techniques that train it.
#include <algorithm>

#include "charloom/errors.hpp"
#include "charloom/threads.hpp"
#include "dist/communicator.hpp"
#include "train/probe.hpp"
#include "train/run_control.hpp"
#include "train/sentiment_trainer.hpp"

namespace charloom::train {
namespace {

void validate_budgets(const SentimentTrainingConfig& c) {
  if (c.batch_size < 1 || c.batch_size > 4096)
    throw UsageError("--batch-size must be from 1 to 4096, got " + std::to_string(c.batch_size));
  if (c.max_length < 1 || c.max_length > 100000)
    throw UsageError("--max-length must be from 1 to 100000, got " + std::to_string(c.max_length));
  check_shared_settings(c.learning_rate, c.grad_clip, c.threads, c.on_divergence);
  if (c.lr_schedule != "constant" && c.lr_schedule != "cosine")
    throw UsageError("--lr-schedule for --task sentiment is constant or cosine, got '" + c.lr_schedule + "'");
  if (c.lr_schedule == "cosine" && c.max_epochs == 0)
    throw UsageError("--lr-schedule cosine needs --max-epochs: it decays over them");
  if (c.max_epochs < 0 || c.time_limit < 0.0 || c.patience < 0) throw UsageError("budgets must not be negative");
}

// The techniques that start from a language model, and the ones that exclude each other.
void validate_techniques(const SentimentTrainingConfig& c) {
  const bool from_model = !c.init_from.empty() || !c.resume.empty();
  if (c.class_weight != "balanced" && c.class_weight != "none")
    throw UsageError("--class-weight must be balanced or none");
  if (c.freeze_encoder && c.init_from.empty()) throw UsageError("--freeze-encoder needs --init-from LM");
  if (c.head_only_epochs < 0) throw UsageError("--head-only-epochs must not be negative");
  if (c.head_only_epochs > 0 && !from_model)
    throw UsageError("--head-only-epochs needs --init-from LM: a fresh encoder has nothing to protect");
  if (!c.probe.empty() && c.init_from.empty()) throw UsageError("--probe needs --init-from LM");
  if (!c.probe.empty()) parse_penalty(c.probe);
  if (!(c.ema_decay >= 0.0 && c.ema_decay < 1.0))
    throw UsageError("--ema-decay must be at least 0 and below 1 (0 = off), got " + std::to_string(c.ema_decay));
  if (!(c.decay_to_pretrained >= 0.0 && c.decay_to_pretrained * c.learning_rate <= 1.0))
    throw UsageError(
        "--decay-to-pretrained must be at least 0 and at most 1 / --learning-rate (which pulls the "
        "encoder all the way back every step), got " +
        std::to_string(c.decay_to_pretrained));
  if (c.decay_to_pretrained > 0.0 && !from_model)
    throw UsageError("--decay-to-pretrained needs --init-from LM: it pulls the encoder back to the model's weights");
  check_weight_drop(c.weight_drop);
  if (!(c.lm_loss_weight >= 0.0 && c.lm_loss_weight <= 100.0))
    throw UsageError("--lm-loss-weight must be from 0 to 100 (0 = off), got " + std::to_string(c.lm_loss_weight));
  if (c.lm_loss_weight > 0.0 && !from_model)
    throw UsageError("--lm-loss-weight needs --init-from LM: that language model's head predicts the next units");
  if (c.lm_loss_weight > 0.0 && (c.freeze_encoder || !c.probe.empty()))
    throw UsageError("--lm-loss-weight trains the encoder; drop --freeze-encoder and --probe, or the weight");
  if (c.positive_lm.size() != c.negative_lm.size())
    throw UsageError(std::string("--positive-lm and --negative-lm come together: give a language model for each ") +
                     "class, as many of each (" + std::to_string(c.positive_lm.size()) + " positive, " +
                     std::to_string(c.negative_lm.size()) + " negative)");
}

void validate(const SentimentTrainingConfig& c) {
  if (c.train_path.empty()) throw UsageError("no training data given; pass --train FILE");
  if (c.dev_path.empty()) throw UsageError("no dev data given; pass --dev FILE (dev accuracy picks the model)");
  if (c.output.empty()) throw UsageError("no output given; pass --output MODEL");
  validate_budgets(c);
  validate_techniques(c);
}

// A class language model for --positive-lm or --negative-lm: a plain language model.
ModelFile load_class_model(const std::string& path, const char* flag) {
  ModelFile model = load_model_file(path);
  if (model.kind != language_model_kind)
    throw InputError(std::string(flag) + " " + path + " holds a model of kind '" + model.kind +
                     "', not a language model; pass one trained on that class's texts");
  model.extra_tensors.clear();  // a checkpoint's training state has no place in the output
  model.checkpoint_json.clear();
  return model;
}

}  // namespace

SentimentTrainer::SentimentTrainer(const SentimentTrainingConfig& config, const RunHooks& hooks)
    : config_(config), hooks_(hooks), log_(hooks.observer, 1), started_(std::chrono::steady_clock::now()) {
  if (dist::Communicator::world().distributed())
    throw UsageError("--task sentiment trains in one process; run it without mpirun");
  validate(config_);
  set_thread_count(config_.threads);
  check_writable(config_.output);
  load_start();
  read_data();
  load_class_models();
  build_classifier();
  build_techniques();
  checkpoints_ = std::make_unique<CheckpointDirectory>(
      config_.checkpoint_dir.empty() ? config_.output + ".checkpoints" : config_.checkpoint_dir, config_.keep_last,
      true);
  if (!config_.resume.empty()) {
    restore(resumed_from_, checkpoint_path_);
    last_checkpoint_ = checkpoint_path_;
  }
  log_.open_metrics(config_.metrics_path, !config_.resume.empty());
}

// The checkpoint to resume, or the model to start from, and the architecture that follows.
void SentimentTrainer::load_start() {
  model_ = config_.model;
  if (!config_.resume.empty()) {
    resumed_from_ =
        load_checkpoint(config_.resume, checkpoint_path_, [this](const std::string& text) { log_.warning(text); });
    if (resumed_from_.kind != sentiment_classifier_kind || resumed_from_.checkpoint_json.empty())
      throw InputError(checkpoint_path_ + " is not a checkpoint of a sentiment classifier");
    model_ = resumed_from_.config;  // the run continues with the architecture and vocabulary it began with
    return;
  }
  if (config_.init_from.empty()) return;
  start_model_ = load_model_file(config_.init_from);
  const std::string& kind = start_model_.kind;
  if (kind != language_model_kind && kind != sentiment_classifier_kind)
    throw InputError("--init-from " + config_.init_from + " holds a model of kind '" + kind +
                     "', not a language model or a sentiment classifier");
  // The encoder comes whole from the model: its architecture, text options and vocabulary. A
  // sentiment classifier brings its classifier layer too, so that a classifier trained on
  // other labeled text (an intermediate task) goes on learning here.
  if (config_.lm_loss_weight > 0.0 && kind != language_model_kind)
    throw UsageError("--lm-loss-weight needs --init-from a language model, whose head predicts the next units; " +
                     config_.init_from + " is a " + kind);
  if (model_.bidirectional && !start_model_.config.bidirectional)
    throw UsageError("--bidirectional cannot start from " + config_.init_from + ", which reads one way");
  const Pooling pool = model_.pool;
  const float dropout = model_.dropout;
  model_ = start_model_.config;
  model_.pool = pool;
  model_.dropout = dropout;
}

// Both files as ids, under the vocabulary of the model the run starts from, or one built from
// the training texts.
void SentimentTrainer::read_data() {
  data::LabeledEncoding encoding{config_.input, model_.text, static_cast<std::size_t>(config_.max_length)};
  if (!config_.resume.empty() || !config_.init_from.empty()) {
    vocabulary_ = !config_.resume.empty() ? resumed_from_.vocabulary : start_model_.vocabulary;
    train_ = data::read_labeled_dataset(config_.train_path, encoding, vocabulary_);
  } else {
    train_ = data::read_labeled_dataset(config_.train_path, encoding, config_.min_count, vocabulary_);
  }
  dev_ = data::read_labeled_dataset(config_.dev_path, encoding, vocabulary_);
  model_.vocabulary_size = static_cast<int>(vocabulary_.size());
  const auto positives = static_cast<std::size_t>(std::count(train_.labels.begin(), train_.labels.end(), 1));
  if (positives == 0 || positives == train_.labels.size())
    throw InputError(config_.train_path + " has only " + (positives == 0 ? "negative" : "positive") +
                     " labels; a classifier needs examples of both classes");
  // Balanced weights: each class carries half of the total, whatever its share of the texts.
  const double n = static_cast<double>(train_.labels.size()), p = static_cast<double>(positives);
  if (config_.class_weight == "balanced") {
    positive_weight_ = n / (2.0 * p);
    negative_weight_ = n / (2.0 * (n - p));
  }
}

// The class language models go into the output as they are; they are checked against the
// classifier now, before any training, so that a mismatch costs nothing.
void SentimentTrainer::load_class_models() {
  if (config_.positive_lm.empty()) return;
  with_class_models_.kind = sentiment_classifier_kind;
  with_class_models_.config = model_;
  with_class_models_.vocabulary = vocabulary_;
  std::string paths;
  for (std::size_t i = 0; i < config_.positive_lm.size(); ++i) {
    with_class_models_.class_language_models.push_back(load_class_model(config_.negative_lm[i], "--negative-lm"));
    with_class_models_.class_language_models.push_back(load_class_model(config_.positive_lm[i], "--positive-lm"));
    paths += (i == 0 ? "" : ", ") + config_.positive_lm[i] + " and " + config_.negative_lm[i];
  }
  try {
    class_models_.emplace(with_class_models_, Precision::f32);
  } catch (const InputError& error) {
    throw InputError("--positive-lm and --negative-lm (" + paths + "): " + error.what());
  }
  // Each epoch is judged by the combined score, the model the run saves; the class models'
  // ratios on dev do not change, so they are computed once.
  dev_ratios_ = class_models_->log_ratios(dev_.texts, 64);
}

void SentimentTrainer::build_classifier() {
  classifier_ = std::make_unique<nn::Classifier>(model_);
  classifier_->initialize(config_.seed);
  if (config_.resume.empty() && !config_.init_from.empty()) {
    // The model's tensors come first, so its embedding and rnn.* win; the classifier layer,
    // which a language model lacks, keeps its fresh initialization. So does the layer of a
    // classifier that pooled otherwise: its weights read other features.
    std::vector<NamedTensor> start_from = start_model_.tensors;
    if (start_model_.config.pool != model_.pool)
      std::erase_if(start_from, [](const NamedTensor& t) { return t.name.rfind("classifier.", 0) == 0; });
    for (NamedTensor& own : nn::named_tensors(classifier_->layout(), classifier_->parameters()))
      start_from.push_back(std::move(own));
    classifier_->load_tensors(start_from);
  }
  if (!config_.resume.empty()) classifier_->load_tensors(resumed_from_.tensors);
  head_begin_ = classifier_->layout().find("classifier.weight").offset;
}

// The optimizer and what each technique keeps: the best weights, their average, the weights
// to decay towards, the weight-drop masks and the language model's head.
void SentimentTrainer::build_techniques() {
  OptimizerSettings settings;
  settings.weight_decay = config_.weight_decay;
  const std::size_t count = classifier_->parameters().size();
  optimizer_ = make_optimizer(settings, count);
  best_ = classifier_->parameters();
  // The average starts at the starting weights: a language model's, or a fresh draw.
  if (config_.ema_decay > 0.0) average_ = classifier_->parameters();
  if (config_.decay_to_pretrained > 0.0) anchor_ = classifier_->parameters();
  if (config_.weight_drop > 0.0) weight_drop_.emplace(classifier_->layout(), config_.weight_drop, config_.seed);
  if (config_.lm_loss_weight > 0.0) {
    if (model_.bidirectional) throw UsageError("--lm-loss-weight needs a classifier that reads one way");
    std::vector<float> head;
    if (config_.resume.empty()) {
      for (const char* name : {"head.weight", "head.bias"}) {
        const NamedTensor* tensor = start_model_.find(name);
        if (tensor == nullptr) throw InputError(config_.init_from + " lacks the language model's " + name);
        head.insert(head.end(), tensor->values.begin(), tensor->values.end());
      }
    } else {
      head.assign(static_cast<std::size_t>(model_.vocabulary_size) * (model_.hidden + 1), 0.0f);
    }
    lm_loss_.emplace(model_.vocabulary_size, model_.hidden, std::move(head));
    lm_optimizer_ = make_optimizer(settings, lm_loss_->parameters().size());
    // Built once, not per batch: it reads the batch through padded_.
    add_lm_loss_ = [this](const float* top, float* top_gradient) {
      run_.epoch_lm_loss +=
          lm_loss_->add_gradient(padded_.view(), top, static_cast<float>(config_.lm_loss_weight), top_gradient);
    };
  }
  // The schedule runs over iterations; its horizon is max_epochs of this data's batches.
  schedule_.learning_rate = config_.learning_rate;
  schedule_.lr_schedule = config_.lr_schedule;
  schedule_.min_lr_fraction = config_.min_lr_fraction;
  schedule_.lr_decay_fraction = config_.lr_decay_fraction;
  schedule_.warmup_iters = config_.warmup_iters;
  const auto batches =
      static_cast<std::int64_t>((train_.texts.size() + static_cast<std::size_t>(config_.batch_size) - 1) /
                                static_cast<std::size_t>(config_.batch_size));
  schedule_.max_iters = config_.max_epochs * batches;
  validate_schedule(schedule_);
  run_.seed = config_.seed;
  run_.batch_size = config_.batch_size;
  run_.train_fingerprint = train_.fingerprint();
  run_.dev_fingerprint = dev_.fingerprint();
}

}  // namespace charloom::train
