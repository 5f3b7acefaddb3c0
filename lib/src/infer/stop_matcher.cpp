// First-match search over the unreleased tail, which stays shorter than the longest stop
// string plus one unit: text before it can no longer be part of any match.
#include "infer/stop_matcher.hpp"

#include <algorithm>

namespace charloom::infer {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
  std::size_t longest = 0;
  for (const std::string& stop : stops_) longest = std::max(longest, stop.size());
  pending_.reserve(longest + 64);
  released_.reserve(longest + 64);
}

StopMatcher::Step StopMatcher::append(std::string_view unit_text) {
  pending_ += unit_text;
  Step step;
  std::size_t cut = std::string::npos;
  for (std::size_t i = 0; i < stops_.size(); ++i) {
    const std::size_t at = stops_[i].empty() ? std::string::npos : pending_.find(stops_[i]);
    if (at < cut) {
      cut = at;
      step.stop = static_cast<int>(i);
    }
  }
  if (cut == std::string::npos) {
    // Hold back the longest tail that is the start of some stop string.
    std::size_t hold = 0;
    for (const std::string& stop : stops_) {
      for (std::size_t length = std::min(stop.size() - (stop.empty() ? 0 : 1), pending_.size()); length > hold;
           --length) {
        if (pending_.compare(pending_.size() - length, length, stop, 0, length) == 0) {
          hold = length;
          break;
        }
      }
    }
    cut = pending_.size() - hold;
  }
  released_.assign(pending_, 0, cut);
  pending_.erase(0, step.stop >= 0 ? pending_.size() : cut);
  step.release = released_;
  return step;
}

std::string_view StopMatcher::flush() {
  released_.swap(pending_);
  pending_.clear();
  return released_;
}

}  // namespace charloom::infer
