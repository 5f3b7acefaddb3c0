// --precision auto: the choice for each kind of CPU and model width, and its reasons.
#include <doctest/doctest.h>

#include <string>

#include "charloom/errors.hpp"
#include "charloom/model_config.hpp"

using namespace charloom;

namespace {

ModelConfig of_width(int hidden) {
  ModelConfig config;
  config.hidden = hidden;
  return config;
}

}  // namespace

TEST_CASE("auto picks bf16 only on a CPU with native bf16, for layers of 128 and wider") {
  // VNNI alone (int8) does not count: auto never picks int8.
  const CpuFeatures bf16_cpu{true}, vnni_cpu{false}, plain_cpu{};
  CHECK(choose_precision(of_width(512), bf16_cpu).precision == Precision::bf16);
  CHECK(choose_precision(of_width(128), bf16_cpu).precision == Precision::bf16);
  CHECK(choose_precision(of_width(127), bf16_cpu).precision == Precision::f32);
  CHECK(choose_precision(of_width(512), vnni_cpu).precision == Precision::f32);
  CHECK(choose_precision(of_width(512), plain_cpu).precision == Precision::f32);
}

TEST_CASE("each choice of auto says why") {
  const auto reason = [](int hidden, bool bf16) { return choose_precision(of_width(hidden), {bf16}).reason; };
  CHECK(reason(512, true).find("has native bf16") != std::string::npos);
  CHECK(reason(64, true).find("64-wide layers gain too little") != std::string::npos);
  CHECK(reason(512, false).find("no native bf16") != std::string::npos);
}

TEST_CASE("an explicit precision is kept, and auto resolves to this CPU's choice") {
  for (const Precision p : {Precision::f32, Precision::bf16, Precision::int8})
    CHECK(resolve_precision(p, of_width(512)).precision == p);
  const PrecisionChoice here = resolve_precision(Precision::automatic, of_width(512));
  CHECK(here.precision == (cpu_features().bf16 ? Precision::bf16 : Precision::f32));
  CHECK(here.reason == choose_precision(of_width(512), cpu_features()).reason);
}

TEST_CASE("auto is a precision by name") {
  CHECK(parse_precision("auto") == Precision::automatic);
  CHECK(to_string(Precision::automatic) == "auto");
  CHECK_THROWS_AS(parse_precision("fast"), UsageError);
}
