// train-model's command line: every flag, its default and its checks, parsed into the
// library's training configs. The app and Python's charloom.train share it.
#include "train-model/training_command.hpp"

#include <sstream>

#include "charloom/errors.hpp"
#include "train-model/run_commands.hpp"
#include "train-model/sentiment_task.hpp"

namespace charloom {
namespace {

namespace po = cli::po;

// A rate as --help shows it: 0.003, not Boost's 0.0030000000000000001.
std::string shortest(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// Flags that mean something for one task only; any of them given under the other is a usage error.
constexpr const char* sentiment_only[] = {"train",          "dev",
                                          "input-format",   "columns",
                                          "header",         "pool",
                                          "bidirectional",  "freeze-encoder",
                                          "probe",          "class-weight",
                                          "max-length",     "head-only-epochs",
                                          "ema-decay",      "decay-to-pretrained",
                                          "lm-loss-weight", "positive-lm",
                                          "negative-lm"};
constexpr const char* language_model_only[] = {
    "corpus",         "dropout-before-head", "seq-length",     "optimizer",
    "lr-decay-every", "lr-decay-rate",       "lr-decay-iters", "momentum",
    "max-iters",      "eval-every",          "val-fraction",   "checkpoint-every",
    "keep-best",      "precision",           "allreduce",      "log-every"};

template <std::size_t N>
void refuse_flags(const po::variables_map& values, const char* const (&flags)[N], const std::string& task,
                  const std::string& why) {
  for (const char* flag : flags)
    if (values.count(flag) != 0 && !values[flag].defaulted())
      throw UsageError("--" + std::string(flag) + " means nothing for --task " + task + " (" + why + "); drop it");
}

}  // namespace

TrainingCommand parse_training_command(int argc, char** argv) {
  TrainingCommand command;
  TrainingConfig& config = command.language_model;
  cli::TextFlags text;
  std::string cell = "lstm", activation = "tanh", config_file;
  std::string precision(to_string(config.precision));
  std::string allreduce = "overlap";
  po::options_description architecture("Architecture"), batching("Batching"), optimisation("Optimisation"),
      budgets("Budgets and evaluation"), checkpoints("Checkpoints"), control("Run control"), text_flags("Text"),
      output("Output");
  // clang-format off
  architecture.add_options()
      ("cell", po::value(&cell)->default_value(cell), "lstm, gru or rnn")
      ("activation", po::value(&activation)->default_value(activation), "rnn cells: tanh or relu")
      ("layers", po::value(&config.model.layers)->default_value(config.model.layers), "stacked recurrent layers")
      ("hidden", po::value(&config.model.hidden)->default_value(config.model.hidden), "hidden units per layer")
      ("embedding-size", po::value(&config.model.embedding_size)->default_value(config.model.embedding_size), "embedding width")
      ("dropout", po::value(&config.model.dropout)->default_value(config.model.dropout),
       "dropout on the embedding output, between layers and (see the next flag) before the head")
      ("dropout-before-head", po::value(&config.dropout_before_head)->default_value(config.dropout_before_head, "true"),
       "also drop out the top layer's outputs before the head (training only): true or false")
      ("weight-drop", po::value(&config.weight_drop)->default_value(config.weight_drop),
       "drop this fraction of the recurrent weights at each training step (AWD-LSTM's weight drop). 0 = off");
  // clang-format on
  // clang-format off
  batching.add_options()
      ("batch-size", po::value(&config.batch_size)->default_value(config.batch_size), "parallel streams (B)")
      ("seq-length", po::value(&config.seq_length)->default_value(config.seq_length), "steps of truncated BPTT (T)");
  // clang-format on
  // clang-format off
  optimisation.add_options()
      ("optimizer", po::value(&config.optimizer)->default_value(config.optimizer), "adam, rmsprop or sgd")
      ("learning-rate", po::value(&config.learning_rate)->default_value(config.learning_rate, shortest(config.learning_rate)), "peak learning rate")
      ("lr-schedule", po::value(&config.lr_schedule)->default_value(config.lr_schedule), "auto (under --time-limit: constant, then a cosine over the last 40% of the time; else constant), constant, step or cosine")
      ("warmup-iters", po::value(&config.warmup_iters)->default_value(config.warmup_iters), "linear warm-up iterations")
      ("lr-decay-every", po::value(&config.lr_decay_every)->default_value(config.lr_decay_every), "step schedule: period")
      ("lr-decay-rate", po::value(&config.lr_decay_rate)->default_value(config.lr_decay_rate), "step schedule: factor")
      ("lr-decay-iters", po::value(&config.lr_decay_iters)->default_value(config.lr_decay_iters),
       "cosine schedule: horizon (0 = --max-iters)")
      ("min-lr-fraction", po::value(&config.min_lr_fraction)->default_value(config.min_lr_fraction), "cosine and auto: the floor, as a fraction of the peak")
      ("lr-decay-fraction", po::value(&config.lr_decay_fraction)->default_value(config.lr_decay_fraction),
       "cosine and auto: decay over this final share of the horizon, constant before it (0 = 1 for cosine, 0.4 for auto)")
      ("momentum", po::value(&config.momentum)->default_value(config.momentum), "sgd momentum")
      ("weight-decay", po::value(&config.weight_decay)->default_value(config.weight_decay), "decoupled weight decay")
      ("grad-clip", po::value(&config.grad_clip)->default_value(config.grad_clip), "clip the global gradient norm (0 = off)");
  // clang-format on
  // clang-format off
  budgets.add_options()
      ("max-iters", po::value(&config.max_iters)->default_value(config.max_iters), "iterations of the whole run (0 = no limit)")
      ("max-epochs", po::value(&config.max_epochs)->default_value(config.max_epochs), "epochs of the whole run (0 = no limit)")
      ("time-limit", po::value(&config.time_limit)->default_value(config.time_limit), "seconds for this invocation (0 = no limit)")
      ("eval-every", po::value(&config.eval_every)->default_value(config.eval_every), "iterations between validations")
      ("val-fraction", po::value(&config.val_fraction)->default_value(config.val_fraction), "last fraction of the corpus that validates")
      ("patience", po::value(&config.patience)->default_value(config.patience),
       "stop after this many validations without improvement (0 = never)");
  // clang-format on
  // clang-format off
  checkpoints.add_options()
      ("checkpoint-dir", po::value(&config.checkpoint_dir), "where checkpoints go (default OUTPUT.checkpoints)")
      ("checkpoint-every", po::value(&config.checkpoint_every)->default_value(config.checkpoint_every),
       "iterations between checkpoints (0 = at each validation)")
      ("keep-last", po::value(&config.keep_last)->default_value(config.keep_last), "step checkpoints to keep (0 = all)")
      ("keep-best", po::value(&config.keep_best)->default_value(config.keep_best)->implicit_value(true),
       "also keep best.safetensors, the best by validation loss")
      ("resume", po::value(&config.resume), "a checkpoint, or a directory to take its newest checkpoint")
      ("init-from", po::value(&config.init_from),
       "start from this model. A language model: its architecture, vocabulary and weights, to fine-tune on "
       "--corpus. With --task sentiment: the encoder from a language model, or every weight from a classifier")
      ("on-divergence", po::value(&config.on_divergence)->default_value(config.on_divergence),
       "when the loss is NaN or infinite: stop, or rollback (restore and halve the learning rate)");
  // clang-format on
  // clang-format off
  control.add_options()
      ("seed", po::value(&config.seed)->default_value(config.seed), "random seed (initialization and dropout)")
      ("threads", po::value(&config.threads)->default_value(config.threads), "threads (0 = all cores)")
      ("precision", po::value(&precision)->default_value(precision),
       "recurrent-layer arithmetic: auto (bf16 where this CPU runs it natively and the layers are wide "
       "enough to gain, else f32), f32, or bf16 (f32 master weights and gradients)")
      ("allreduce", po::value(&allreduce)->default_value(allreduce),
       "under mpirun: overlap (sum gradients while backward runs) or after (once backward is done)");
  // clang-format on
  text.add_to(text_flags);
  // clang-format off
  text_flags.add_options()("min-count", po::value(&config.min_count)->default_value(config.min_count),
                           "units seen fewer times map to <unk>");
  // clang-format on
  std::string task = "lm";
  // clang-format off
  output.add_options()
      ("task", po::value(&task)->default_value(task), "lm (a language model), or sentiment (a classifier; see below)")
      ("corpus", po::value(&config.corpus)->multitoken(), "UTF-8 text file(s), concatenated in order")
      ("output", po::value(&config.output), "the model file to write")
      ("metrics", po::value(&config.metrics_path), "write training metrics as JSONL")
      ("summary-json", po::value(&config.summary_path), "write a JSON summary at the end")
      ("config", po::value(&config_file), "read options from a file of name = value lines")
      ("log-every", po::value(&config.log_every)->default_value(config.log_every), "iterations between log lines")
      ("quiet", po::bool_switch(&command.quiet), "print nothing but warnings and errors")
      ("help,h", "show this help");
  // clang-format on
  SentimentFlags sentiment;
  po::options_description sentiment_flags = sentiment.options();
  po::options_description all("train-model options");
  all.add(output)
      .add(architecture)
      .add(batching)
      .add(optimisation)
      .add(budgets)
      .add(checkpoints)
      .add(control)
      .add(text_flags)
      .add(sentiment_flags);
  po::positional_options_description positional;
  positional.add("corpus", -1);
  po::variables_map values;
  if (!cli::parse(argc, argv, all, positional, values, "train-model --corpus FILE... --output MODEL [options]")) {
    command.help = true;
    return command;
  }
  if (!config_file.empty()) cli::parse_config_file(config_file, all, values);
  if (task == "sentiment") {
    refuse_flags(values, language_model_only, "sentiment",
                 "it trains on --train and --dev with Adam, epoch by epoch, in f32");
    command.sentiment = true;
    command.sentiment_config =
        sentiment.config(config, cell == "rnn" ? "rnn_" + activation : cell, text.resolve(), values);
    command.sentiment_config.invocation = quoted_command(argc, argv);
    return command;
  }
  if (task != "lm") throw UsageError("--task must be lm or sentiment, got '" + task + "'");
  refuse_flags(values, sentiment_only, "lm", "it is a classifier's flag: add --task sentiment");
  if (config.corpus.empty()) throw UsageError("no corpus given; pass --corpus FILE");
  if (config.output.empty()) throw UsageError("no output given; pass --output MODEL");
  config.model.cell = parse_cell_kind(cell == "rnn" ? "rnn_" + activation : cell);
  if (activation != "tanh" && activation != "relu") throw UsageError("--activation must be tanh or relu");
  config.model.text = text.resolve();
  config.precision = parse_precision(precision);
  if (config.precision == Precision::int8)
    throw UsageError(
        "--precision int8 is for inference (generate-text, evaluate-model, score-sentiment); train in f32 or bf16");
  if (allreduce != "overlap" && allreduce != "after")
    throw UsageError("--allreduce must be overlap or after, got '" + allreduce + "'");
  config.overlap_allreduce = allreduce == "overlap";
  config.invocation = quoted_command(argc, argv);
  for (const char* flag : {"cell", "activation", "layers", "hidden", "embedding-size", "unit", "normalize"})
    if (values.count(flag) != 0 && !values[flag].defaulted()) config.architecture_given = true;
  return command;
}

}  // namespace charloom
