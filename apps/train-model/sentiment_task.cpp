// The sentiment task of train-model: its flags and its defaults.
#include "train-model/sentiment_task.hpp"

#include "charloom/errors.hpp"

namespace charloom {
cli::po::options_description SentimentFlags::options() {
  namespace po = cli::po;
  const SentimentTrainingConfig defaults;
  po::options_description flags(
      "Sentiment (--task sentiment). Where a shared flag is not given, the classifier's defaults apply: a 1x256 lstm, "
      "embedding 64, dropout 0.1, batch 32, learning rate 0.002, 20 epochs, patience 5");
  // clang-format off
  flags.add_options()
      ("train", po::value(&train), "labeled training texts (TSV, CSV or JSONL)")
      ("dev", po::value(&dev), "labeled dev texts: dev accuracy picks the model and stops training")
      ("input-format", po::value(&input_format), "tsv, csv or jsonl (default: from the file name; TSV otherwise)")
      ("columns", po::value(&columns)->default_value(columns), "TSV/CSV column order: label,text or text,label")
      ("header", po::value(&header)->default_value(header),
       "TSV/CSV: does the first line name the columns (GLUE's SST-2 does)? auto (when its label field is no label), "
       "yes or no")
      ("soft-labels", po::bool_switch(&soft_labels),
       "labels may also be probabilities of the positive class, from 0 to 1 (a teacher model's scores, e.g. "
       "score-sentiment --format tsv | cut -f1,3): training fits them, dev accuracy rounds them")
      ("pool", po::value(&pool)->default_value(std::string(to_string(defaults.model.pool))),
       "how the text's outputs become one vector: last, mean, max, or concat (last, max and mean side by side)")
      ("bidirectional", po::bool_switch(&bidirectional),
       "every layer also reads each text backwards (from scratch, not with --init-from)")
      ("freeze-encoder", po::bool_switch(&freeze_encoder), "with --init-from: train only the classifier layer")
      ("probe", po::value(&probe), "with --init-from: fit the classifier layer as an l1 or l2 logistic regression on the "
       "frozen encoder's features, C chosen on dev (the sentiment-neuron probe)")
      ("class-weight", po::value(&class_weight)->default_value(defaults.class_weight),
       "balanced (weight classes by inverse frequency) or none")
      ("max-length", po::value(&max_length)->default_value(defaults.max_length), "units read per text; the rest is cut")
      ("head-only-epochs", po::value(&head_only_epochs)->default_value(defaults.head_only_epochs),
       "with --init-from: fit only the classifier layer for this many epochs, then everything")
      ("ema-decay", po::value(&ema_decay)->default_value(defaults.ema_decay),
       "keep an exponential moving average of the weights with this decay per step (e.g. 0.999); dev accuracy "
       "scores it and the output keeps it. 0 = off")
      ("decay-to-pretrained", po::value(&decay_to_pretrained)->default_value(defaults.decay_to_pretrained),
       "with --init-from: after each step, move the encoder's weights back towards the model's by the learning rate "
       "times this fraction of the distance (L2-SP; e.g. 0.5). 0 = off")
      ("lm-loss-weight", po::value(&lm_loss_weight)->default_value(defaults.lm_loss_weight),
       "with --init-from LM: also train on predicting each text's next unit with the language model's head, this "
       "weight times that loss (e.g. 0.2), so the encoder stays a language model. 0 = off")
      ("positive-lm", po::value(&positive_lm)->multitoken(), "language models fine-tuned on the positive training "
       "texts; with --negative-lm, the output adds their log-likelihood ratios, weighted as dev prefers, to the "
       "classifier's logit. Several make several pairs, the i-th of each flag one pair")
      ("negative-lm", po::value(&negative_lm)->multitoken(), "the same for the negative training texts");
  // clang-format on
  return flags;
}

SentimentTrainingConfig SentimentFlags::config(const TrainingConfig& shared, const std::string& cell,
                                               const TextOptions& text, const cli::po::variables_map& values) const {
  SentimentTrainingConfig config;
  const auto given = [&](const char* flag) { return values.count(flag) != 0 && !values[flag].defaulted(); };
  config.train_path = train;
  config.dev_path = dev;
  config.output = shared.output;
  config.input.format = input_format.empty() ? labeled_format_of(train) : parse_labeled_format(input_format);
  config.input.columns = parse_column_order(columns);
  config.input.header = parse_header_policy(header);
  config.input.soft_labels = soft_labels;
  if (given("cell") || given("activation")) config.model.cell = parse_cell_kind(cell);
  if (given("layers")) config.model.layers = shared.model.layers;
  if (given("hidden")) config.model.hidden = shared.model.hidden;
  if (given("embedding-size")) config.model.embedding_size = shared.model.embedding_size;
  if (given("dropout")) config.model.dropout = shared.model.dropout;
  config.model.text = text;
  config.model.pool = parse_pooling(pool);
  config.model.bidirectional = bidirectional;
  if (given("min-count")) config.min_count = shared.min_count;
  config.max_length = max_length;
  config.init_from = shared.init_from;
  config.freeze_encoder = freeze_encoder;
  config.probe = probe;
  config.class_weight = class_weight;
  if (given("batch-size")) config.batch_size = shared.batch_size;
  if (given("learning-rate")) config.learning_rate = shared.learning_rate;
  // --lr-schedule's shared default (auto) means the classifier's own, constant.
  if (given("lr-schedule")) config.lr_schedule = shared.lr_schedule;
  config.min_lr_fraction = shared.min_lr_fraction;
  config.lr_decay_fraction = shared.lr_decay_fraction;
  config.warmup_iters = shared.warmup_iters;
  config.head_only_epochs = head_only_epochs;
  config.ema_decay = ema_decay;
  config.decay_to_pretrained = decay_to_pretrained;
  if (given("weight-drop")) config.weight_drop = shared.weight_drop;
  config.lm_loss_weight = lm_loss_weight;
  config.positive_lm = positive_lm;
  config.negative_lm = negative_lm;
  if (given("grad-clip")) config.grad_clip = shared.grad_clip;
  config.on_divergence = shared.on_divergence;
  if (given("weight-decay")) config.weight_decay = shared.weight_decay;
  if (given("max-epochs")) config.max_epochs = shared.max_epochs;
  if (given("patience")) config.patience = shared.patience;
  config.time_limit = shared.time_limit;
  config.seed = shared.seed;
  config.threads = shared.threads;
  config.metrics_path = shared.metrics_path;
  config.summary_path = shared.summary_path;
  config.checkpoint_dir = shared.checkpoint_dir;
  config.resume = shared.resume;
  config.keep_last = shared.keep_last;

  return config;
}

}  // namespace charloom
