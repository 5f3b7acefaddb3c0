// Optimizers over one flat parameter buffer: Adam, RMSprop and SGD with momentum, with
// PyTorch's update formulas so that runs can be compared step for step.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "train/settings.hpp"

namespace charloom::train {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update of `parameters` from `gradients` at learning rate `lr`.
  virtual void step(std::vector<float>& parameters, const std::vector<float>& gradients, double lr) = 0;
  // Named state buffers (moments), for checkpoints; same length as the parameters.
  virtual std::vector<std::pair<std::string, std::vector<float>*>> state() = 0;
  std::int64_t steps_taken = 0;
};

// Throws UsageError for an unknown name.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& settings, std::size_t parameter_count);

// The global L2 norm of a buffer, summed in fixed-size chunks so the result does not depend
// on the thread count.
double global_norm(const std::vector<float>& values);

// Scales values by max_norm / norm when norm exceeds max_norm.
void clip_to_norm(std::vector<float>& values, double norm, double max_norm);

}  // namespace charloom::train
