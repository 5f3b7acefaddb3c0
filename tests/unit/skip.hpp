// Skipping a test case that cannot run here, so that ctest reports it skipped, never passed.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace charloom::testing {

// Set by main when the process runs one test case, as ctest runs them.
inline bool skip_exits = false;

// Under ctest the process ends with 77, which ctest reads as SKIP_RETURN_CODE; run by hand,
// the other cases go on and the reason is printed.
inline bool skip_test(const std::string& reason) {
  std::printf("SKIPPED: %s\n", reason.c_str());
  std::fflush(stdout);
  if (skip_exits) std::_Exit(77);
  return true;
}

}  // namespace charloom::testing

// Ends the current test case as skipped, naming why.
#define CHARLOOM_SKIP(reason)                           \
  do {                                                  \
    if (::charloom::testing::skip_test(reason)) return; \
  } while (0)
