// The doctest entry point for charloom's unit tests.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <string_view>

#include "skip.hpp"

int main(int argc, char** argv) {
  // ctest runs one case per process (--test-case=NAME); only then may a skip end the process.
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]).rfind("--test-case=", 0) == 0) charloom::testing::skip_exits = true;
  doctest::Context context(argc, argv);
  return context.run();
}
