// train-model --task sentiment: the classifier's own flags, and turning the shared flags
// into a SentimentTrainingConfig whose defaults apply wherever the user gave none.
#pragma once

#include <string>
#include <vector>

#include "charloom/sentiment_training.hpp"
#include "charloom/training.hpp"
#include "common/cli.hpp"

namespace charloom {

struct SentimentFlags {
  std::string train, dev, input_format, columns = "label,text", header = "auto", pool, class_weight, probe;
  std::vector<std::string> positive_lm, negative_lm;
  bool freeze_encoder = false, bidirectional = false, soft_labels = false;
  int max_length = 0, head_only_epochs = 0;
  double ema_decay = 0.0;
  double decay_to_pretrained = 0.0;
  double lm_loss_weight = 0.0;

  cli::po::options_description options();
  // The classifier's config: these flags, and the shared ones the user gave.
  SentimentTrainingConfig config(const TrainingConfig& shared, const std::string& cell, const TextOptions& text,
                                 const cli::po::variables_map& values) const;
};

}  // namespace charloom
