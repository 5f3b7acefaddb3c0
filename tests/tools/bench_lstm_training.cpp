// bench-lstm-training: oneDNN's LSTM training primitives alone, one layer's forward and
// backward over a whole sequence, in f32 and in bf16 under each implementation oneDNN offers.
//
//   bench-lstm-training [--inputs 512] [--hidden 512] [--batch 32] [--steps 100] [--runs 10]
//
// bf16 runs twice: with the weights in oneDNN's chosen layout (its brgemm implementation,
// the one charloom uses) and in the plain ldigo/ldgoi layouts (its ref implementation). The
// three take turns in each run, so their ratios compare runs of the same minutes. Data types
// are those charloom trains with: bf16 activations and hidden states, f32 cell states, bias,
// gradients of the activations and states, and weight gradients.
#include <dnnl.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_flags.hpp"
#include "bench_timing.hpp"

using namespace charloom::bench;
using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

namespace {

struct Shape {
  int inputs = 512, hidden = 512, batch = 32, steps = 100;
};

// One way of running the layer: its primitives, every buffer they take, and their timings.
struct Variant {
  std::string name;
  dnnl::lstm_forward forward;
  dnnl::lstm_backward backward;
  std::unordered_map<int, memory> forward_args, backward_args;
  std::vector<double> forward_seconds, backward_seconds;
};

memory zeroed(const memory::desc& desc, const dnnl::engine& engine) {
  memory m(desc, engine);
  std::fill_n(static_cast<char*>(m.get_data_handle()), desc.get_size(), 0);
  return m;
}

// The activation, state and bias descriptors of one layer; `data` is the activations' type.
struct Descs {
  Descs(const Shape& s, dt data)
      : src({s.steps, s.batch, s.inputs}, data, tag::tnc),
        dst({s.steps, s.batch, s.hidden}, data, tag::tnc),
        iter({1, 1, s.batch, s.hidden}, data, tag::ldnc),
        f32_iter({1, 1, s.batch, s.hidden}, dt::f32, tag::ldnc),
        bias({1, 1, 4, s.hidden}, dt::f32, tag::ldgo),
        diff_src({s.steps, s.batch, s.inputs}, dt::f32, tag::tnc),
        diff_dst({s.steps, s.batch, s.hidden}, dt::f32, tag::tnc) {}
  memory::desc src, dst, iter, f32_iter, bias, diff_src, diff_dst;
};

// Zeroed buffers for every argument of both primitives; the backward reads the forward's.
void bind(Variant& v, const Descs& d, const dnnl::lstm_forward::primitive_desc& fpd,
          const dnnl::lstm_backward::primitive_desc& bpd, const dnnl::engine& engine) {
  const auto z = [&](const memory::desc& desc) { return zeroed(desc, engine); };
  const memory diff_iter = z(d.f32_iter);
  v.forward_args = {{DNNL_ARG_SRC_LAYER, z(d.src)},
                    {DNNL_ARG_SRC_ITER, z(d.iter)},
                    {DNNL_ARG_SRC_ITER_C, z(d.f32_iter)},
                    {DNNL_ARG_WEIGHTS_LAYER, z(fpd.weights_desc())},
                    {DNNL_ARG_WEIGHTS_ITER, z(fpd.weights_iter_desc())},
                    {DNNL_ARG_BIAS, z(d.bias)},
                    {DNNL_ARG_DST_LAYER, z(d.dst)},
                    {DNNL_ARG_DST_ITER, z(d.iter)},
                    {DNNL_ARG_DST_ITER_C, z(d.f32_iter)},
                    {DNNL_ARG_WORKSPACE, z(fpd.workspace_desc())}};
  v.backward_args = v.forward_args;
  v.backward_args[DNNL_ARG_WEIGHTS_LAYER] = z(bpd.weights_desc());
  v.backward_args[DNNL_ARG_WEIGHTS_ITER] = z(bpd.weights_iter_desc());
  v.backward_args.insert({{DNNL_ARG_DIFF_SRC_LAYER, z(d.diff_src)},
                          {DNNL_ARG_DIFF_SRC_ITER, z(d.f32_iter)},
                          {DNNL_ARG_DIFF_SRC_ITER_C, z(d.f32_iter)},
                          {DNNL_ARG_DIFF_WEIGHTS_LAYER, z(bpd.diff_weights_desc())},
                          {DNNL_ARG_DIFF_WEIGHTS_ITER, z(bpd.diff_weights_iter_desc())},
                          {DNNL_ARG_DIFF_BIAS, z(d.bias)},
                          {DNNL_ARG_DIFF_DST_LAYER, z(d.diff_dst)},
                          {DNNL_ARG_DIFF_DST_ITER, diff_iter},
                          {DNNL_ARG_DIFF_DST_ITER_C, diff_iter}});
}

// Throws dnnl::error where this oneDNN cannot build the variant on this CPU.
Variant make_variant(const std::string& name, const Shape& s, dt data, bool plain_weights, const dnnl::engine& engine) {
  const Descs d(s, data);
  const auto weights = [&](int rows, tag layout, dt type) {
    return memory::desc({1, 1, rows, 4, s.hidden}, type, layout);
  };
  const tag forward_layout = plain_weights ? tag::ldigo : tag::any;
  const tag backward_layout = plain_weights ? tag::ldgoi : tag::any;
  const auto direction = dnnl::rnn_direction::unidirectional_left2right;
  const dnnl::lstm_forward::desc fd(dnnl::prop_kind::forward_training, direction, d.src, d.iter, d.f32_iter,
                                    weights(s.inputs, forward_layout, data), weights(s.hidden, forward_layout, data),
                                    d.bias, d.dst, d.iter, d.f32_iter);
  const dnnl::lstm_forward::primitive_desc fpd(fd, engine);
  const dnnl::lstm_backward::desc bd(dnnl::prop_kind::backward, direction, d.src, d.iter, d.f32_iter,
                                     weights(s.inputs, backward_layout, data), weights(s.hidden, backward_layout, data),
                                     d.bias, d.dst, d.iter, d.f32_iter, d.diff_src, d.f32_iter, d.f32_iter,
                                     weights(s.inputs, tag::any, dt::f32), weights(s.hidden, tag::any, dt::f32), d.bias,
                                     d.diff_dst, d.f32_iter, d.f32_iter);
  const dnnl::lstm_backward::primitive_desc bpd(bd, engine, fpd);
  Variant v;
  v.name = name + " (" + fpd.impl_info_str() + " / " + bpd.impl_info_str() + ")";
  v.forward = dnnl::lstm_forward(fpd);
  v.backward = dnnl::lstm_backward(bpd);
  bind(v, d, fpd, bpd, engine);
  return v;
}

// One forward and one backward call, timed apart.
void run_once(Variant& v, dnnl::stream& stream, bool keep) {
  auto start = Clock::now();
  v.forward.execute(stream, v.forward_args);
  stream.wait();
  const double forward = seconds_since(start);
  start = Clock::now();
  v.backward.execute(stream, v.backward_args);
  stream.wait();
  if (!keep) return;
  v.forward_seconds.push_back(forward);
  v.backward_seconds.push_back(seconds_since(start));
}

}  // namespace

int main(int argc, char** argv) try {
  Shape shape;
  int runs = 10;
  for (const auto& [flag, value] : read_flags(argc, argv)) {
    if (flag == "--inputs")
      shape.inputs = std::stoi(value);
    else if (flag == "--hidden")
      shape.hidden = std::stoi(value);
    else if (flag == "--batch")
      shape.batch = std::stoi(value);
    else if (flag == "--steps")
      shape.steps = std::stoi(value);
    else if (flag == "--runs")
      runs = std::stoi(value);
    else
      refuse_flag("bench-lstm-training", flag);
  }
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  std::vector<Variant> variants;
  variants.push_back(make_variant("f32", shape, dt::f32, false, engine));
  for (const bool plain : {false, true}) {
    const std::string name = plain ? "bf16, plain layouts" : "bf16, oneDNN's layout";
    try {
      variants.push_back(make_variant(name, shape, dt::bf16, plain, engine));
    } catch (const dnnl::error& error) {
      std::printf("%s: skipped, oneDNN cannot build it on this CPU (%s)\n", name.c_str(), error.what());
    }
  }
  for (int run = -1; run < runs; ++run)  // run -1 warms up
    for (Variant& v : variants) run_once(v, stream, run >= 0);
  std::printf("one LSTM layer, %d inputs, %d hidden, batch %d, %d steps (median of %d runs)\n", shape.inputs,
              shape.hidden, shape.batch, shape.steps, runs);
  const double f32_forward = median(variants.front().forward_seconds);
  const double f32_backward = median(variants.front().backward_seconds);
  for (const Variant& v : variants) {
    const double forward = median(v.forward_seconds), backward = median(v.backward_seconds);
    std::printf("  %-44s forward %6.1f ms, backward %6.1f ms; f32 / this: %.2fx, %.2fx, both %.2fx\n", v.name.c_str(),
                forward * 1e3, backward * 1e3, f32_forward / forward, f32_backward / backward,
                (f32_forward + f32_backward) / (forward + backward));
  }
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "bench-lstm-training: %s\n", error.what());
  return 1;
}
