// Training a sentiment classifier: read and encode the labeled files, start from scratch or
// from a language model's encoder, then epochs of length-bucketed batches with Adam, keeping
// the model that scores best on dev.
#include "charloom/sentiment_training.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <optional>

#include "charloom/errors.hpp"
#include "charloom/language_model.hpp"
#include "charloom/model_file.hpp"
#include "charloom/threads.hpp"
#include "dist/communicator.hpp"
#include "infer/class_language_models.hpp"
#include "infer/text_batches.hpp"
#include "io/atomic_file.hpp"
#include "nn/classifier.hpp"
#include "nn/random.hpp"
#include "train/checkpoints.hpp"
#include "train/class_model_weight.hpp"
#include "train/language_model_loss.hpp"
#include "train/optimizer.hpp"
#include "train/probe.hpp"
#include "train/run_control.hpp"
#include "train/run_log.hpp"
#include "train/schedule.hpp"
#include "train/weight_drop.hpp"

namespace charloom {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Dataset {
  std::vector<std::vector<std::string>> units;  // per text, before a vocabulary exists
  infer::Texts texts;
  std::vector<int> labels;
};

Dataset read_dataset(const std::string& path, const LabeledReaderOptions& input, const TextOptions& text_options) {
  Dataset data;
  for (const LabeledText& record : read_labeled_text(path, input)) {
    std::vector<std::string> units = split_units(record.text, text_options, path + ":" + std::to_string(record.line));
    if (units.empty())
      throw InputError(path + ":" + std::to_string(record.line) +
                       ": the text is empty; remove the line or give it text");
    data.units.push_back(std::move(units));
    data.labels.push_back(*record.label);
  }
  if (data.labels.empty()) throw InputError(path + " has no labeled texts");
  return data;
}

void encode(Dataset& data, const Vocabulary& vocabulary, int max_length) {
  data.texts.clear();
  for (const auto& units : data.units) {
    std::vector<std::uint32_t> ids;
    for (std::size_t i = 0; i < units.size() && i < static_cast<std::size_t>(max_length); ++i)
      ids.push_back(vocabulary.id_of(units[i]));
    data.texts.push_back(std::move(ids));
  }
  data.units.clear();
}

void validate(const SentimentTrainingConfig& c) {
  if (c.train_path.empty()) throw UsageError("no training data given; pass --train FILE");
  if (c.dev_path.empty()) throw UsageError("no dev data given; pass --dev FILE (dev accuracy picks the model)");
  if (c.output.empty()) throw UsageError("no output given; pass --output MODEL");
  if (c.batch_size < 1 || c.batch_size > 4096)
    throw UsageError("--batch-size must be from 1 to 4096, got " + std::to_string(c.batch_size));
  if (c.max_length < 1 || c.max_length > 100000)
    throw UsageError("--max-length must be from 1 to 100000, got " + std::to_string(c.max_length));
  if (!(c.learning_rate > 0.0 && c.learning_rate < 100.0))
    throw UsageError("--learning-rate must be positive and below 100");
  if (c.class_weight != "balanced" && c.class_weight != "none")
    throw UsageError("--class-weight must be balanced or none");
  if (c.freeze_encoder && c.init_from.empty()) throw UsageError("--freeze-encoder needs --init-from LM");
  if (c.head_only_epochs < 0) throw UsageError("--head-only-epochs must not be negative");
  if (c.head_only_epochs > 0 && c.init_from.empty() && c.resume.empty())
    throw UsageError("--head-only-epochs needs --init-from LM: a fresh encoder has nothing to protect");
  if (c.lr_schedule != "constant" && c.lr_schedule != "cosine")
    throw UsageError("--lr-schedule for --task sentiment is constant or cosine, got '" + c.lr_schedule + "'");
  if (c.lr_schedule == "cosine" && c.max_epochs == 0)
    throw UsageError("--lr-schedule cosine needs --max-epochs: it decays over them");
  if (!c.probe.empty() && c.init_from.empty()) throw UsageError("--probe needs --init-from LM");
  if (!c.probe.empty()) train::parse_penalty(c.probe);
  if (c.max_epochs < 0 || c.time_limit < 0.0 || c.patience < 0) throw UsageError("budgets must not be negative");
  if (c.threads < 0) throw UsageError("--threads must not be negative");
  if (!(c.ema_decay >= 0.0 && c.ema_decay < 1.0))
    throw UsageError("--ema-decay must be at least 0 and below 1 (0 = off), got " + std::to_string(c.ema_decay));
  if (!(c.decay_to_pretrained >= 0.0 && c.decay_to_pretrained * c.learning_rate <= 1.0))
    throw UsageError(
        "--decay-to-pretrained must be at least 0 and at most 1 / --learning-rate (which pulls the "
        "encoder all the way back every step), got " +
        std::to_string(c.decay_to_pretrained));
  if (!(c.weight_drop >= 0.0 && c.weight_drop < 1.0))
    throw UsageError("--weight-drop must be at least 0 and below 1, got " + std::to_string(c.weight_drop));
  if (!(c.lm_loss_weight >= 0.0 && c.lm_loss_weight <= 100.0))
    throw UsageError("--lm-loss-weight must be from 0 to 100 (0 = off), got " + std::to_string(c.lm_loss_weight));
  if (c.lm_loss_weight > 0.0 && c.init_from.empty() && c.resume.empty())
    throw UsageError("--lm-loss-weight needs --init-from LM: that language model's head predicts the next units");
  if (c.lm_loss_weight > 0.0 && (c.freeze_encoder || !c.probe.empty()))
    throw UsageError("--lm-loss-weight trains the encoder; drop --freeze-encoder and --probe, or the weight");
  if (c.positive_lm.size() != c.negative_lm.size())
    throw UsageError(std::string("--positive-lm and --negative-lm come together: give a language model for each ") +
                     "class, as many of each (" + std::to_string(c.positive_lm.size()) + " positive, " +
                     std::to_string(c.negative_lm.size()) + " negative)");
  if (c.decay_to_pretrained > 0.0 && c.init_from.empty() && c.resume.empty())
    throw UsageError("--decay-to-pretrained needs --init-from LM: it pulls the encoder back to the model's weights");
}

// The dev figures of the classifier as it is: accuracy at 0.5 and the mean logistic loss.
// With class language models (their ratio for each dev text in `ratios`), the figures are the
// combined score's at the weight that dev prefers: the model the run would save.
struct DevFigures {
  double accuracy = 0.0, loss = 0.0;
  double classifier_accuracy = 0.0;  // of the classifier alone
  double class_lm_weight = 0.0;
  std::vector<float> logits;  // the classifier's own, per dev text
};
DevFigures evaluate(nn::Classifier& classifier, const Dataset& dev, int batch, const std::vector<double>* ratios) {
  const std::vector<float> logits = infer::classify(classifier, dev.texts, std::max(batch, 64));
  // Weight 0 alone is the classifier by itself.
  const train::ClassModelWeight alone = train::score_at_weight(logits, {}, dev.labels, 0.0);
  const train::ClassModelWeight fit = ratios ? train::fit_class_model_weight(logits, *ratios, dev.labels) : alone;
  return {fit.accuracy, fit.loss, alone.accuracy, fit.weight, logits};
}

// A class language model for --positive-lm or --negative-lm: a plain language model.
ModelFile load_class_model(const std::string& path, const char* flag) {
  ModelFile model = load_model_file(path);
  if (model.kind != language_model_kind)
    throw InputError(std::string(flag) + " " + path + " holds a model of kind '" + model.kind +
                     "', not a language model; pass one trained by train-model on that class's texts");
  model.extra_tensors.clear();  // a checkpoint's training state has no place in the output
  model.checkpoint_json.clear();
  return model;
}

// One epoch's batches: shuffled, then sorted by length within windows of 50 batches so that
// a batch pads little, then the batches themselves shuffled.
std::vector<std::vector<std::size_t>> epoch_batches(const infer::Texts& texts, int batch, std::uint64_t seed,
                                                    std::uint64_t epoch) {
  std::vector<std::size_t> order(texts.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<float> keys(order.size());
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = nn::uniform01(seed, 1000 + 2 * epoch, i);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return keys[a] < keys[b] || (keys[a] == keys[b] && a < b); });
  const std::size_t window = static_cast<std::size_t>(batch) * 50;
  for (std::size_t start = 0; start < order.size(); start += window) {
    const auto end = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + window));
    std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(start), end,
                     [&](std::size_t a, std::size_t b) { return texts[a].size() > texts[b].size(); });
  }
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(batch))
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + batch)));
  std::vector<float> batch_keys(batches.size());
  for (std::size_t i = 0; i < batch_keys.size(); ++i) batch_keys[i] = nn::uniform01(seed, 1001 + 2 * epoch, i);
  std::vector<std::size_t> batch_order(batches.size());
  std::iota(batch_order.begin(), batch_order.end(), std::size_t{0});
  std::sort(batch_order.begin(), batch_order.end(), [&](std::size_t a, std::size_t b) {
    return batch_keys[a] < batch_keys[b] || (batch_keys[a] == batch_keys[b] && a < b);
  });
  std::vector<std::vector<std::size_t>> shuffled;
  for (std::size_t i : batch_order) shuffled.push_back(std::move(batches[i]));
  return shuffled;
}

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
train::FeatureSet features_of(nn::Classifier& classifier, const Dataset& data) {
  train::FeatureSet set;
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

// Where a run stands, as a checkpoint records it: with the parameters, the optimizer's
// moments and the best parameters, enough to continue exactly (an epoch's batches depend
// only on the seed and the epoch).
struct RunState {
  std::int64_t epoch = 1;  // the epoch in progress
  std::size_t batch = 0;   // batches of it already done
  std::int64_t iterations = 0, optimizer_steps = 0, epochs_without_improvement = 0, texts_seen = 0, best_epoch = 0;
  double best_accuracy = 0.0, best_loss = 0.0, epoch_loss = 0.0, epoch_weight = 0.0, elapsed_seconds = 0.0;
  double epoch_lm_loss = 0.0;  // with --lm-loss-weight: the sum of the epoch's batch means
};
// With defaults, so that checkpoints written before a field existed still resume.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RunState, epoch, batch, iterations, optimizer_steps,
                                                epochs_without_improvement, texts_seen, best_epoch, best_accuracy,
                                                best_loss, epoch_loss, epoch_weight, elapsed_seconds, epoch_lm_loss)

RunState run_state_from(const ModelFile& checkpoint, const std::string& path) {
  try {
    return nlohmann::json::parse(checkpoint.checkpoint_json).get<RunState>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(path + " is not a sentiment training checkpoint (its run state is incomplete)");
  }
}

std::vector<float> take_tensor(const ModelFile& checkpoint, const std::string& name, std::size_t size,
                               const std::string& path) {
  const NamedTensor* tensor = checkpoint.find(name);
  if (tensor == nullptr || tensor->values.size() != size)
    throw InputError(path + ": the checkpoint lacks " + name + " of the expected size");
  return tensor->values;
}

}  // namespace

SentimentTrainingSummary train_sentiment_classifier(const SentimentTrainingConfig& config, const RunHooks& hooks) {
  if (dist::Communicator::world().distributed())
    throw UsageError("--task sentiment trains in one process; run it without mpirun");
  validate(config);
  set_thread_count(config.threads);
  train::check_writable(config.output);
  const auto start = Clock::now();
  train::RunLog run_log(hooks.observer, 1);

  ModelConfig model = config.model;
  ModelFile language_model, checkpoint;
  std::string checkpoint_path;
  if (!config.resume.empty()) {
    checkpoint = train::load_checkpoint(config.resume, checkpoint_path,
                                        [&](const std::string& text) { run_log.warning(text); });
    if (checkpoint.kind != sentiment_classifier_kind || checkpoint.checkpoint_json.empty())
      throw InputError(checkpoint_path + " is not a checkpoint of a sentiment classifier");
    model = checkpoint.config;  // the run continues with the architecture and vocabulary it began with
  } else if (!config.init_from.empty()) {
    language_model = load_model_file(config.init_from);
    if (language_model.kind != language_model_kind && language_model.kind != sentiment_classifier_kind)
      throw InputError("--init-from " + config.init_from + " holds a model of kind '" + language_model.kind +
                       "', not a language model or a sentiment classifier");
    // The encoder comes whole from the model: its architecture, text options and vocabulary.
    // A sentiment classifier brings its classifier layer too, so that a classifier trained on
    // other labeled text (an intermediate task) goes on learning here.
    if (config.lm_loss_weight > 0.0 && language_model.kind != language_model_kind)
      throw UsageError("--lm-loss-weight needs --init-from a language model, whose head predicts the next units; " +
                       config.init_from + " is a " + language_model.kind);
    if (model.bidirectional && !language_model.config.bidirectional)
      throw UsageError("--bidirectional cannot start from " + config.init_from + ", which reads one way");
    const Pooling pool = model.pool;
    const float dropout = model.dropout;
    model = language_model.config;
    model.pool = pool;
    model.dropout = dropout;
  }
  Dataset train = read_dataset(config.train_path, config.input, model.text);
  Dataset dev = read_dataset(config.dev_path, config.input, model.text);
  const auto positives = static_cast<std::size_t>(std::count(train.labels.begin(), train.labels.end(), 1));
  if (positives == 0 || positives == train.labels.size())
    throw InputError(config.train_path + " has only " + (positives == 0 ? "negative" : "positive") +
                     " labels; a classifier needs examples of both classes");

  Vocabulary vocabulary;
  if (!config.resume.empty()) {
    vocabulary = checkpoint.vocabulary;
  } else if (!config.init_from.empty()) {
    vocabulary = language_model.vocabulary;
  } else {
    UnitCounts counts;
    for (const auto& units : train.units)
      for (const std::string& unit : units) counts.add(unit);
    vocabulary = Vocabulary::build(counts, model.text.unit, config.min_count);
  }
  model.vocabulary_size = static_cast<int>(vocabulary.size());
  encode(train, vocabulary, config.max_length);
  encode(dev, vocabulary, config.max_length);
  // The class language models go into the output as they are; they are checked against the
  // classifier now, before any training, so that a mismatch costs nothing.
  ModelFile with_class_models;
  std::optional<infer::ClassLanguageModels> class_models;
  if (!config.positive_lm.empty()) {
    with_class_models.kind = sentiment_classifier_kind;
    with_class_models.config = model;
    with_class_models.vocabulary = vocabulary;
    std::string paths;
    for (std::size_t i = 0; i < config.positive_lm.size(); ++i) {
      with_class_models.class_language_models.push_back(load_class_model(config.negative_lm[i], "--negative-lm"));
      with_class_models.class_language_models.push_back(load_class_model(config.positive_lm[i], "--positive-lm"));
      paths += (i == 0 ? "" : ", ") + config.positive_lm[i] + " and " + config.negative_lm[i];
    }
    try {
      class_models.emplace(with_class_models, Precision::f32);
    } catch (const InputError& error) {
      throw InputError("--positive-lm and --negative-lm (" + paths + "): " + error.what());
    }
  }

  nn::Classifier classifier(model);
  classifier.initialize(config.seed);
  if (!config.resume.empty()) {
    classifier.load_tensors(checkpoint.tensors);
  } else if (!config.init_from.empty()) {
    // The language model's tensors come first, so its embedding and rnn.* win; the
    // classifier layer, which it lacks, keeps its fresh initialization. So does the layer of
    // a classifier that pooled otherwise: its weights read other features.
    std::vector<NamedTensor> start_from = language_model.tensors;
    if (language_model.config.pool != model.pool)
      std::erase_if(start_from, [](const NamedTensor& t) { return t.name.rfind("classifier.", 0) == 0; });
    for (NamedTensor& own : nn::named_tensors(classifier.layout(), classifier.parameters()))
      start_from.push_back(std::move(own));
    classifier.load_tensors(start_from);
  }
  // The classifier layer's span of the buffer: the only part a frozen encoder lets change.
  const std::size_t head_begin = classifier.layout().find("classifier.weight").offset;

  // Balanced weights: each class carries half of the total, whatever its share of the texts.
  const double n = static_cast<double>(train.labels.size());
  const double positive_weight = config.class_weight == "balanced" ? n / (2.0 * static_cast<double>(positives)) : 1.0;
  const double negative_weight =
      config.class_weight == "balanced" ? n / (2.0 * (n - static_cast<double>(positives))) : 1.0;

  TrainingConfig optimizer_settings;
  optimizer_settings.learning_rate = config.learning_rate;
  optimizer_settings.weight_decay = config.weight_decay;
  auto optimizer = train::make_optimizer(optimizer_settings, classifier.parameters().size());
  const std::size_t count = classifier.parameters().size();
  RunState run;
  std::vector<float> best = classifier.parameters();
  // The average starts at the starting weights: a language model's, or a fresh draw.
  const bool averaging = config.ema_decay > 0.0;
  std::vector<float> average = averaging ? classifier.parameters() : std::vector<float>{};
  std::optional<train::WeightDrop> weight_drop;
  if (config.weight_drop > 0.0) weight_drop.emplace(classifier.layout(), config.weight_drop, config.seed);
  const bool anchored = config.decay_to_pretrained > 0.0;
  std::vector<float> anchor = anchored ? classifier.parameters() : std::vector<float>{};
  // The language model's head, for the auxiliary loss, with an optimizer of its own.
  const bool lm_loss_on = config.lm_loss_weight > 0.0;
  const std::size_t lm_head_count = static_cast<std::size_t>(model.vocabulary_size) * (model.hidden + 1);
  std::optional<train::LanguageModelLoss> lm_loss;
  std::unique_ptr<train::Optimizer> lm_optimizer;
  if (lm_loss_on) {
    if (model.bidirectional) throw UsageError("--lm-loss-weight needs a classifier that reads one way");
    std::vector<float> head;
    if (config.resume.empty()) {
      for (const char* name : {"head.weight", "head.bias"}) {
        const NamedTensor* tensor = language_model.find(name);
        if (tensor == nullptr) throw InputError(config.init_from + " lacks the language model's " + name);
        head.insert(head.end(), tensor->values.begin(), tensor->values.end());
      }
    } else {
      head = take_tensor(checkpoint, "lm_head.parameters", lm_head_count, checkpoint_path);
    }
    lm_loss.emplace(model.vocabulary_size, model.hidden, std::move(head));
    lm_optimizer = train::make_optimizer(optimizer_settings, lm_head_count);
  }
  if (!config.resume.empty()) {
    run = run_state_from(checkpoint, checkpoint_path);
    for (auto& [name, buffer] : optimizer->state()) *buffer = take_tensor(checkpoint, name, count, checkpoint_path);
    optimizer->steps_taken = run.optimizer_steps;
    best = take_tensor(checkpoint, "best.parameters", count, checkpoint_path);
    if (averaging) average = take_tensor(checkpoint, "ema.parameters", count, checkpoint_path);
    if (anchored) anchor = take_tensor(checkpoint, "pretrained.parameters", count, checkpoint_path);
    if (lm_loss_on) {
      for (auto& [name, buffer] : lm_optimizer->state())
        *buffer = take_tensor(checkpoint, "lm_head." + name, lm_head_count, checkpoint_path);
      lm_optimizer->steps_taken = run.optimizer_steps;
    }
  }
  train::CheckpointDirectory checkpoints(
      config.checkpoint_dir.empty() ? config.output + ".checkpoints" : config.checkpoint_dir, config.keep_last, true);
  std::string last_checkpoint;
  const auto write_checkpoint = [&](bool is_best) {
    ModelFile file;
    file.kind = sentiment_classifier_kind;
    file.config = model;
    file.vocabulary = vocabulary;
    file.tensors = nn::named_tensors(classifier.layout(), classifier.parameters());
    for (auto& [name, buffer] : optimizer->state())
      file.extra_tensors.push_back({name, {static_cast<std::int64_t>(count)}, *buffer});
    file.extra_tensors.push_back({"best.parameters", {static_cast<std::int64_t>(count)}, best});
    if (averaging) file.extra_tensors.push_back({"ema.parameters", {static_cast<std::int64_t>(count)}, average});
    if (anchored) file.extra_tensors.push_back({"pretrained.parameters", {static_cast<std::int64_t>(count)}, anchor});
    if (lm_loss_on) {
      const std::vector<std::int64_t> shape{static_cast<std::int64_t>(lm_head_count)};
      file.extra_tensors.push_back({"lm_head.parameters", shape, lm_loss->parameters()});
      for (auto& [name, buffer] : lm_optimizer->state())
        file.extra_tensors.push_back({"lm_head." + name, shape, *buffer});
    }
    RunState saved = run;
    saved.optimizer_steps = optimizer->steps_taken;
    saved.elapsed_seconds = run.elapsed_seconds + seconds_since(start);  // run's holds earlier invocations
    file.checkpoint_json = nlohmann::json(saved).dump();
    last_checkpoint = checkpoints.write(file, run.iterations, is_best);
  };

  run_log.open_metrics(config.metrics_path, !config.resume.empty());

  SentimentTrainingSummary summary;
  summary.parameters = static_cast<std::int64_t>(count);
  // With class language models, each epoch is judged by the combined score, the model the
  // run saves; their ratios on dev do not change, so they are computed once.
  std::vector<double> dev_ratios;
  if (class_models) dev_ratios = class_models->log_ratios(dev.texts, 64);
  const std::vector<double>* ratios = class_models ? &dev_ratios : nullptr;
  DevFigures best_dev{run.best_accuracy, run.best_loss};
  if (config.resume.empty()) {
    best_dev = evaluate(classifier, dev, config.batch_size, ratios);
    run.best_accuracy = best_dev.accuracy;
    run.best_loss = best_dev.loss;
  }
  infer::PaddedBatch padded;
  std::vector<float> labels, weights;
  if (!config.probe.empty()) {
    const train::Probe probe = train::fit_probe(features_of(classifier, train), features_of(classifier, dev),
                                                train::parse_penalty(config.probe), probe_grid);
    const std::size_t weight = classifier.layout().find("classifier.weight").offset;
    for (std::size_t j = 0; j < probe.weights.size(); ++j)
      classifier.parameters()[weight + j] = static_cast<float>(probe.weights[j]);
    classifier.parameters()[classifier.layout().find("classifier.bias").offset] = static_cast<float>(probe.bias);
    best = classifier.parameters();
    best_dev = evaluate(classifier, dev, config.batch_size, ratios);
    summary.stopped_by = "probe";
    run_log.probe({config.probe, probe.c, probe.nonzero, probe.weights.size(), best_dev.accuracy, seconds_since(start)});
  }
  // The schedule runs over iterations; its horizon is max_epochs of this data's batches.
  TrainingConfig schedule;
  schedule.learning_rate = config.learning_rate;
  schedule.lr_schedule = config.lr_schedule;
  schedule.min_lr_fraction = config.min_lr_fraction;
  schedule.lr_decay_fraction = config.lr_decay_fraction;
  schedule.warmup_iters = config.warmup_iters;
  const auto batch_count =
      static_cast<std::int64_t>((train.texts.size() + static_cast<std::size_t>(config.batch_size) - 1) /
                                static_cast<std::size_t>(config.batch_size));
  schedule.max_iters = config.max_epochs * batch_count;
  train::validate_schedule(schedule);
  double last_rate = config.learning_rate;
  std::int64_t texts_this_run = 0;
  double epochs_done = static_cast<double>(run.epoch - 1);
  // Built once, not per batch: it reads the batch through `padded`.
  nn::TopGradientHook add_lm_loss;
  if (lm_loss_on)
    add_lm_loss = [&](const float* top, float* top_gradient) {
      run.epoch_lm_loss +=
          lm_loss->add_gradient(padded.view(), top, static_cast<float>(config.lm_loss_weight), top_gradient);
    };
  for (; config.probe.empty() && (config.max_epochs == 0 || run.epoch <= config.max_epochs);
       ++run.epoch, run.batch = 0) {
    bool stopped = false;
    const auto batches =
        epoch_batches(train.texts, config.batch_size, config.seed, static_cast<std::uint64_t>(run.epoch));
    if (run.batch == 0) run.epoch_loss = run.epoch_weight = run.epoch_lm_loss = 0.0;
    for (; run.batch < batches.size(); ++run.batch) {
      const std::vector<std::size_t>& members = batches[run.batch];
      infer::fill_batch(train.texts, members, config.batch_size, padded);
      labels.assign(static_cast<std::size_t>(config.batch_size), 0.0f);
      weights.assign(static_cast<std::size_t>(config.batch_size), 0.0f);
      for (std::size_t i = 0; i < members.size(); ++i) {
        labels[i] = static_cast<float>(train.labels[members[i]]);
        weights[i] = static_cast<float>(train.labels[members[i]] == 1 ? positive_weight : negative_weight);
        run.epoch_weight += weights[i];
      }
      if (weight_drop) {
        weight_drop->mask(classifier.parameters(), static_cast<std::uint64_t>(run.iterations));
        classifier.parameters_changed();
      }
      run.epoch_loss += classifier.train_batch(padded.view(), labels.data(), weights.data(), config.seed,
                                               static_cast<std::uint64_t>(run.iterations), add_lm_loss);
      std::vector<float>& gradients = classifier.gradients();
      if (weight_drop) weight_drop->unmask(classifier.parameters(), gradients);  // pushed after the step
      if (config.freeze_encoder || run.epoch <= config.head_only_epochs)
        std::fill(gradients.begin(), gradients.begin() + static_cast<std::ptrdiff_t>(head_begin), 0.0f);
      if (config.grad_clip > 0.0) train::clip_to_norm(gradients, train::global_norm(gradients), config.grad_clip);
      last_rate = train::learning_rate_at(schedule, run.iterations);
      optimizer->step(classifier.parameters(), gradients, last_rate);
      if (lm_loss_on) {
        std::vector<float>& head_gradients = lm_loss->gradients();
        if (config.grad_clip > 0.0)
          train::clip_to_norm(head_gradients, train::global_norm(head_gradients), config.grad_clip);
        lm_optimizer->step(lm_loss->parameters(), head_gradients, last_rate);
      }
      if (anchored) pull_towards(classifier.parameters(), anchor, head_begin, last_rate * config.decay_to_pretrained);
      classifier.parameters_changed();
      if (averaging) update_average(average, classifier.parameters(), config.ema_decay);
      ++run.iterations;
      run.texts_seen += static_cast<std::int64_t>(members.size());
      texts_this_run += static_cast<std::int64_t>(members.size());
      if (const int code = train::stop_code(hooks.stop); code != 0) {
        summary.signal = code == train::stop_without_signal ? 0 : code;
        summary.stopped_by = train::stop_reason(code);
        stopped = true;
      } else if (config.time_limit > 0.0 && seconds_since(start) >= config.time_limit) {
        summary.stopped_by = "time-limit";
        stopped = true;
      }
      if (stopped) {
        // Mid-epoch: the checkpoint holds the batches done, so a resumed run goes on exactly.
        ++run.batch;
        epochs_done =
            static_cast<double>(run.epoch - 1) + static_cast<double>(run.batch) / static_cast<double>(batches.size());
        write_checkpoint(false);
        break;
      }
    }
    if (stopped) break;
    epochs_done = static_cast<double>(run.epoch);
    summary.train_loss = run.epoch_weight > 0.0 ? run.epoch_loss / run.epoch_weight : 0.0;
    summary.lm_loss = run.epoch_lm_loss / static_cast<double>(batches.size());
    // With averaging, dev scores the average: swapped in for the evaluation, then back out.
    const auto swap_average = [&] {
      std::swap(classifier.parameters(), average);
      classifier.parameters_changed();
    };
    if (averaging) swap_average();
    const DevFigures figures = evaluate(classifier, dev, config.batch_size, ratios);
    const bool improved =
        figures.accuracy > best_dev.accuracy || (figures.accuracy == best_dev.accuracy && figures.loss < best_dev.loss);
    if (improved) best = classifier.parameters();
    if (averaging) swap_average();
    if (improved) {
      best_dev = figures;
      run.best_epoch = run.epoch;
      run.best_accuracy = figures.accuracy;
      run.best_loss = figures.loss;
      run.epochs_without_improvement = 0;
    } else {
      ++run.epochs_without_improvement;
    }
    EpochRecord record;
    record.epoch = run.epoch;
    record.iteration = run.iterations;
    record.train_loss = summary.train_loss;
    record.has_lm_loss = lm_loss_on;
    record.lm_loss = summary.lm_loss;
    record.dev_accuracy = figures.accuracy;
    record.dev_loss = figures.loss;
    record.has_class_models = ratios != nullptr;
    record.classifier_dev_accuracy = figures.classifier_accuracy;
    record.class_lm_weight = figures.class_lm_weight;
    record.lr = last_rate;
    record.encoder_trained = !config.freeze_encoder && run.epoch > config.head_only_epochs;
    record.best = improved;
    record.seconds = seconds_since(start);
    run_log.epoch(record);
    // The checkpoint stands at the start of the next epoch.
    ++run.epoch;
    run.batch = 0;
    write_checkpoint(improved);
    --run.epoch;
    if (config.patience > 0 && run.epochs_without_improvement >= config.patience) {
      summary.stopped_by = "patience";
      break;
    }
    if (config.max_epochs != 0 && run.epoch == config.max_epochs) summary.stopped_by = "max-epochs";
  }
  summary.iterations = run.iterations;
  summary.epochs = epochs_done;
  summary.best_epoch = run.best_epoch;
  summary.last_checkpoint = last_checkpoint;

  summary.dev_accuracy = best_dev.accuracy;
  summary.dev_loss = best_dev.loss;
  summary.seconds = seconds_since(start);
  summary.texts_per_second = summary.seconds > 0.0 ? static_cast<double>(texts_this_run) / summary.seconds : 0.0;
  summary.output = config.output;

  ModelFile file;
  file.kind = sentiment_classifier_kind;
  file.config = model;
  file.vocabulary = vocabulary;
  file.tensors = nn::named_tensors(classifier.layout(), best);
  summary.classifier_dev_accuracy = summary.dev_accuracy;
  if (class_models) {
    // Scored again: a resumed run's state keeps the best figures but not the weight.
    classifier.parameters() = best;
    classifier.parameters_changed();
    const DevFigures fit = evaluate(classifier, dev, config.batch_size, ratios);
    const double scale = train::fit_score_scale(fit.logits, dev_ratios, dev.labels, fit.class_lm_weight);
    file.class_language_models = std::move(with_class_models.class_language_models);
    file.class_language_model_weight = fit.class_lm_weight;
    file.class_language_model_scale = scale;
    summary.class_lm_weight = fit.class_lm_weight;
    summary.class_lm_scale = scale;
    summary.classifier_dev_accuracy = fit.classifier_accuracy;
    summary.dev_accuracy = fit.accuracy;
    summary.dev_loss = train::score_at_weight(fit.logits, dev_ratios, dev.labels, fit.class_lm_weight, scale).loss;
  }
  file.training_json = nlohmann::json{
      {"task", "sentiment"},
      {"train", config.train_path},
      {"dev", config.dev_path},
      {"init_from", config.init_from},
      {"freeze_encoder", config.freeze_encoder},
      {"probe", config.probe},
      {"bidirectional", model.bidirectional},
      {"batch_size", config.batch_size},
      {"learning_rate", config.learning_rate},
      {"lr_schedule", config.lr_schedule},
      {"head_only_epochs", config.head_only_epochs},
      {"ema_decay", config.ema_decay},
      {"decay_to_pretrained", config.decay_to_pretrained},
      {"weight_drop", config.weight_drop},
      {"lm_loss_weight", config.lm_loss_weight},
      {"max_length", config.max_length},
      {"class_weight", config.class_weight},
      {"seed", config.seed},
      {"iterations", summary.iterations},
      {"best_epoch", summary.best_epoch},
      {"dev_accuracy", summary.dev_accuracy},
      {"positive_lm", config.positive_lm},
      {"negative_lm", config.negative_lm},
      {"class_lm_weight", summary.class_lm_weight},
      {"class_lm_scale", summary.class_lm_scale},
      {"classifier_dev_accuracy", summary.classifier_dev_accuracy},
      {"invocation",
       config.invocation}}.dump();
  save_model_file(config.output, file);

  if (!config.summary_path.empty()) {
    const nlohmann::json out{{"iterations", summary.iterations},
                             {"epochs", summary.epochs},
                             {"train_loss", summary.train_loss},
                             {"lm_loss", summary.lm_loss},
                             {"dev_accuracy", summary.dev_accuracy},
                             {"dev_loss", summary.dev_loss},
                             {"classifier_dev_accuracy", summary.classifier_dev_accuracy},
                             {"class_lm_weight", summary.class_lm_weight},
                             {"class_lm_scale", summary.class_lm_scale},
                             {"best_epoch", summary.best_epoch},
                             {"seconds", summary.seconds},
                             {"texts_per_second", summary.texts_per_second},
                             {"parameters", summary.parameters},
                             {"stopped_by", summary.stopped_by},
                             {"output", summary.output}};
    io::write_file_atomically(config.summary_path, out.dump(2) + "\n");
  }
  return summary;
}

}  // namespace charloom
