// train-model's command line parsed into the library's training configs: one parser, so that
// the app and Python's charloom.train take the same options with the same defaults and errors.
#pragma once

#include "charloom/sentiment_training.hpp"
#include "charloom/training.hpp"

namespace charloom {

struct TrainingCommand {
  bool help = false;       // --help was asked for and printed: nothing to run
  bool quiet = false;      // --quiet
  bool sentiment = false;  // --task sentiment: sentiment_config, else language_model
  TrainingConfig language_model;
  SentimentTrainingConfig sentiment_config;
};

// argv as train-model takes it, argv[0] included (the recorded invocation starts with it).
// Throws UsageError for unknown flags and values out of range, naming the flag.
TrainingCommand parse_training_command(int argc, char** argv);

}  // namespace charloom
