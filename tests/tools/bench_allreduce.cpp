// Times the gradient allreduce of data-parallel training for a model's parameter count:
// run it under mpirun over the link to measure (loopback, veth, a real network).
//   mpirun -np 2 bench-allreduce [--hidden 512] [--layers 2] [--cell lstm] [--vocabulary 65] [--runs 20] [--json]
#include <cstdio>
#include <string>
#include <vector>

#include "bench_flags.hpp"
#include "bench_timing.hpp"
#include "dist/communicator.hpp"
#include "format/model_layout.hpp"

using namespace charloom;

int main(int argc, char** argv) {
  ModelConfig config;
  config.vocabulary_size = 65;
  int runs = 20;
  bool json = false;
  for (const auto& [flag, value] : bench::read_flags(argc, argv, {"--json"})) {
    if (bench::apply_shape_flag(config, flag, value)) continue;
    if (flag == "--vocabulary") {
      config.vocabulary_size = std::stoi(value);
    } else if (flag == "--runs") {
      runs = std::stoi(value);
    } else if (flag == "--json") {
      json = true;
    } else {
      bench::refuse_flag("bench-allreduce", flag);
    }
  }
  dist::Communicator& world = dist::Communicator::world();
  const std::size_t count = format::language_model_layout(config).total();
  std::vector<float> gradients(count, 1.0f);
  std::vector<double> times;
  world.sum(gradients.data(), count);  // warm-up: connections and buffers
  for (int run = 0; run < runs; ++run) {
    world.max(0);  // start together, so each time is the collective's own
    const auto start = bench::Clock::now();
    world.sum(gradients.data(), count);
    double seconds = bench::seconds_since(start);
    world.sum(&seconds, 1);  // the mean over ranks of this run's time
    times.push_back(seconds / world.size());
  }
  if (!world.is_root()) return 0;
  const double median = bench::median(times), bytes = static_cast<double>(count) * sizeof(float);
  // Bus bandwidth as NCCL's tests define it: what each link carries in a ring, 2(N-1)/N x bytes.
  const double ring_bytes = 2.0 * (world.size() - 1) / world.size() * bytes;
  if (json) {
    std::printf(
        "{\"ranks\": %d, \"floats\": %zu, \"bytes\": %.0f, \"runs\": %d, \"median_seconds\": %.6g, "
        "\"bus_gigabits_per_second\": %.4g}\n",
        world.size(), count, bytes, runs, median, ring_bytes * 8 / median / 1e9);
  } else {
    std::printf("allreduce of %zu floats (%.1f MB) over %d ranks: median %.2f ms of %d runs, bus %.2f Gb/s\n", count,
                bytes / 1e6, world.size(), 1e3 * median, runs, ring_bytes * 8 / median / 1e9);
  }
  return 0;
}
