// The sentiment run's checkpoints: everything a run needs to continue exactly, written after
// every epoch and on a stop, and read back on resume or after a divergence.
#include "charloom/errors.hpp"
#include "train/sentiment_trainer.hpp"

namespace charloom::train {

// With defaults, so that checkpoints written before a field existed still resume.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SentimentRunState, epoch, batch, iterations, optimizer_steps,
                                                epochs_without_improvement, texts_seen, best_epoch, best_accuracy,
                                                best_loss, epoch_loss, epoch_weight, elapsed_seconds, epoch_lm_loss,
                                                lr_scale, seed, train_fingerprint, dev_fingerprint, batch_size)

namespace {

std::vector<float> take_tensor(const ModelFile& checkpoint, const std::string& name, std::size_t size,
                               const std::string& path) {
  const NamedTensor* tensor = checkpoint.find(name);
  if (tensor == nullptr || tensor->values.size() != size)
    throw InputError(path + ": the checkpoint lacks " + name + " of the expected size");
  return tensor->values;
}

}  // namespace

// Each epoch's dev logits; checkpoints from before they were kept have none.
void SentimentTrainer::restore_logit_history(const ModelFile& checkpoint) {
  epoch_logits_.clear();
  const NamedTensor* history = checkpoint.find("dev.logits_by_epoch");
  const std::size_t count = dev_.labels.size();
  if (history == nullptr || count == 0 || history->values.size() % count != 0) return;
  for (auto from = history->values.begin(); from != history->values.end(); from += static_cast<std::ptrdiff_t>(count))
    epoch_logits_.emplace_back(from, from + static_cast<std::ptrdiff_t>(count));
}

ModelFile SentimentTrainer::checkpoint_file() {
  ModelFile file;
  file.kind = sentiment_classifier_kind;
  file.config = model_;
  file.vocabulary = vocabulary_;
  file.tensors = nn::named_tensors(classifier_->layout(), classifier_->parameters());
  const std::vector<std::int64_t> shape{static_cast<std::int64_t>(best_.size())};
  for (auto& [name, buffer] : optimizer_->state()) file.extra_tensors.push_back({name, shape, *buffer});
  file.extra_tensors.push_back({"best.parameters", shape, best_});
  if (!average_.empty()) file.extra_tensors.push_back({"ema.parameters", shape, average_});
  if (!anchor_.empty()) file.extra_tensors.push_back({"pretrained.parameters", shape, anchor_});
  if (lm_loss_) {
    const std::vector<std::int64_t> head_shape{static_cast<std::int64_t>(lm_loss_->parameters().size())};
    file.extra_tensors.push_back({"lm_head.parameters", head_shape, lm_loss_->parameters()});
    for (auto& [name, buffer] : lm_optimizer_->state())
      file.extra_tensors.push_back({"lm_head." + name, head_shape, *buffer});
  }
  if (!epoch_logits_.empty()) {
    std::vector<float> history;
    for (const auto& logits : epoch_logits_) history.insert(history.end(), logits.begin(), logits.end());
    file.extra_tensors.push_back(
        {"dev.logits_by_epoch",
         {static_cast<std::int64_t>(epoch_logits_.size()), static_cast<std::int64_t>(epoch_logits_.front().size())},
         history});
  }
  SentimentRunState saved = run_;
  saved.optimizer_steps = optimizer_->steps_taken;
  saved.elapsed_seconds = run_.elapsed_seconds + seconds();  // run_'s holds earlier invocations
  file.checkpoint_json = nlohmann::json(saved).dump();
  return file;
}

void SentimentTrainer::write_checkpoint(bool is_best) {
  snapshot_ = checkpoint_file();
  last_checkpoint_ = checkpoints_->write(snapshot_, run_.iterations, is_best);
}

// A resumed run trains on what the interrupted one did, or its exactness means nothing.
void SentimentTrainer::check_same_run(const SentimentRunState& saved, const std::string& path) const {
  if (saved.batch_size != 0 && saved.batch_size != config_.batch_size)
    throw UsageError(path + " was trained with --batch-size " + std::to_string(saved.batch_size) +
                     "; resume with the same value");
  if (saved.batch_size != 0 && saved.seed != config_.seed)
    throw UsageError(path + " was trained with --seed " + std::to_string(saved.seed) + "; resume with the same seed");
  if (saved.train_fingerprint != 0 && saved.train_fingerprint != run_.train_fingerprint)
    throw UsageError(path + " was trained on other data than --train " + config_.train_path +
                     " (or with another --max-length); resume with the same file");
  if (saved.dev_fingerprint != 0 && saved.dev_fingerprint != run_.dev_fingerprint)
    throw UsageError(path + " was trained with other dev data than --dev " + config_.dev_path +
                     "; resume with the same file");
}

// The state a checkpoint holds, into this run: from --resume, or after a divergence.
void SentimentTrainer::restore(const ModelFile& checkpoint, const std::string& path) {
  SentimentRunState saved;
  try {
    saved = nlohmann::json::parse(checkpoint.checkpoint_json).get<SentimentRunState>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(path + " is not a sentiment training checkpoint (its run state is incomplete)");
  }
  check_same_run(saved, path);
  saved.seed = run_.seed;
  saved.batch_size = run_.batch_size;
  saved.train_fingerprint = run_.train_fingerprint;
  saved.dev_fingerprint = run_.dev_fingerprint;
  run_ = saved;
  const std::size_t count = best_.size();
  classifier_->load_tensors(checkpoint.tensors);
  for (auto& [name, buffer] : optimizer_->state()) *buffer = take_tensor(checkpoint, name, count, path);
  optimizer_->steps_taken = run_.optimizer_steps;
  best_ = take_tensor(checkpoint, "best.parameters", count, path);
  if (!average_.empty()) average_ = take_tensor(checkpoint, "ema.parameters", count, path);
  if (!anchor_.empty()) anchor_ = take_tensor(checkpoint, "pretrained.parameters", count, path);
  if (lm_loss_) {
    const std::size_t head = lm_loss_->parameters().size();
    lm_loss_->parameters() = take_tensor(checkpoint, "lm_head.parameters", head, path);
    for (auto& [name, buffer] : lm_optimizer_->state())
      *buffer = take_tensor(checkpoint, "lm_head." + name, head, path);
    lm_optimizer_->steps_taken = run_.optimizer_steps;
  }
  restore_logit_history(checkpoint);
  best_dev_.accuracy = run_.best_accuracy;
  best_dev_.loss = run_.best_loss;
  snapshot_ = checkpoint;
}

}  // namespace charloom::train
