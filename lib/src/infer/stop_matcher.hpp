// Stop strings over streamed text: holds back only what could still become a match.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace charloom::infer {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  struct Step {
    std::string_view release;  // text now final, to emit; valid until the next call
    int stop = -1;             // the index of the stop string that matched, or -1
  };
  // Adds a unit's text. On a match, releases the text before the earliest match and reports
  // which stop string matched; the match itself is never released.
  Step append(std::string_view unit_text);
  // Releases what was held back, at the end of a sample without a match.
  std::string_view flush();

 private:
  std::vector<std::string> stops_;
  std::string pending_, released_;
};

}  // namespace charloom::infer
