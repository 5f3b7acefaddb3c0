// train-model: trains a character-level language model on UTF-8 text and writes one model
// file. Flags are parsed into a TrainingConfig whose defaults live in the library.
#include <cstdio>

#include "charloom/distributed.hpp"
#include "charloom/errors.hpp"
#include "common/cli.hpp"
#include "common/progress_printer.hpp"
#include "train-model/run_commands.hpp"
#include "train-model/training_command.hpp"

namespace {

using namespace charloom;

// Runs the language model's training and reports its end; a data-parallel job whose process
// fails ends every process, since the others would wait for it in a collective for ever.
int train_and_report(const TrainingConfig& config, bool quiet, int argc, char** argv) {
  const StopRequest& stop = stop_on_signals();
  const ProcessGroup processes = process_group();
  // In a data-parallel run rank 0 alone reports.
  cli::ProgressPrinter printer("train-model", quiet || processes.rank != 0, config.log_every);
  TrainingSummary summary;
  try {
    summary = train_language_model(config, {&printer, &stop});
  } catch (const Error& error) {
    if (processes.size == 1) throw;
    // One write per line, so that the ranks' messages do not interleave mid-line.
    const std::string line = "train-model: error (rank " + std::to_string(processes.rank) + " of " +
                             std::to_string(processes.size) + "): " + error.what() + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    const int code = dynamic_cast<const UsageError*>(&error) != nullptr ? 2 : 1;
    end_job(code);
    return code;
  }
  printer.finish();
  if (summary.rank != 0) return summary.signal != 0 ? 128 + summary.signal : 0;
  if (summary.interrupted())
    return report_stop(summary.signal, summary.iterations, summary.last_checkpoint,
                       resume_command(argc, argv, summary.last_checkpoint, summary.processes));
  if (!quiet)
    std::fprintf(stderr,
                 "train-model: %lld iterations (%s), val %.4f nats/char (%.4f bits/char), %.0f chars/s; wrote %s\n",
                 static_cast<long long>(summary.iterations), summary.stopped_by.c_str(), summary.val_loss,
                 summary.val_bpc, summary.chars_per_second, summary.output.c_str());
  return 0;
}

// Runs the classifier's training and reports its end.
int train_sentiment_and_report(const SentimentTrainingConfig& config, bool quiet, int argc, char** argv) {
  const StopRequest& stop = stop_on_signals();
  cli::ProgressPrinter printer("train-model", quiet, 1);
  const SentimentTrainingSummary summary = train_sentiment_classifier(config, {&printer, &stop});
  printer.finish();
  if (summary.interrupted())
    return report_stop(summary.signal, summary.iterations, summary.last_checkpoint,
                       resume_command(argc, argv, summary.last_checkpoint, 1));
  if (!quiet && !config.positive_lm.empty())
    std::fprintf(stderr,
                 "train-model: class language models at weight %.2f, scores scaled by %.2f: dev accuracy %.4f, "
                 "dev loss %.4f, the classifier alone %.4f\n",
                 summary.class_lm_weight, summary.class_lm_scale, summary.dev_accuracy, summary.dev_loss,
                 summary.classifier_dev_accuracy);
  if (!quiet && summary.dev_accuracy_half_fitted > 0.0)
    std::fprintf(stderr,
                 "train-model: dev accuracy %.4f with the epoch%s chosen on one half of dev and scored on the other "
                 "(the mean of 40 halvings)\n",
                 summary.dev_accuracy_half_fitted, config.positive_lm.empty() ? "" : " and weight");
  if (!quiet)
    std::fprintf(stderr, "train-model: %lld iterations, %.1f epochs (%s), dev accuracy %.4f (epoch %lld); wrote %s\n",
                 static_cast<long long>(summary.iterations), summary.epochs, summary.stopped_by.c_str(),
                 summary.dev_accuracy, static_cast<long long>(summary.best_epoch), summary.output.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("train-model", [&] {
    const TrainingCommand command = parse_training_command(argc, argv);
    if (command.help) return 0;
    if (command.sentiment) return train_sentiment_and_report(command.sentiment_config, command.quiet, argc, argv);
    return train_and_report(command.language_model, command.quiet, argc, argv);
  });
}
