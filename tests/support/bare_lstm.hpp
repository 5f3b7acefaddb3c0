// oneDNN's LSTM forward primitives alone, stepped one unit at a time at batch 1 with no
// charloom code between them: the floor that a sampling step's recurrent layers could reach.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <vector>

#include "bench_timing.hpp"
#include "charloom/model_config.hpp"

namespace charloom::bench {

namespace bare {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

// One layer's primitive and its buffers. The data types are those charloom steps with:
// all f32; bf16 with f32 cell states and bias; int8 with u8 inputs, s8 weights (one scale per
// gate row) and f32 states and outputs.
struct Layer {
  dnnl::lstm_forward primitive;
  memory src, dst, weights_layer, weights_iter, bias, h[2], c[2];
};

inline memory weights_for(const dnnl::engine& engine, const memory::desc& wanted, int inputs, int hidden,
                          const dnnl::primitive_attr& attr) {
  memory plain({{1, 1, inputs, 4, hidden}, dt::f32, tag::ldigo}, engine);
  auto* values = static_cast<float*>(plain.get_data_handle());
  for (std::int64_t i = 0; i < std::int64_t{inputs} * 4 * hidden; ++i)
    values[i] = 0.05f * ((i * 7919 % 201) - 100) / 100.0f;
  memory formatted(wanted, engine);
  dnnl::stream stream(engine);
  dnnl::reorder(dnnl::reorder::primitive_desc(engine, plain.get_desc(), engine, wanted, attr))
      .execute(stream, plain, formatted);
  stream.wait();
  return formatted;
}

inline Layer make_layer(const dnnl::engine& engine, int inputs, int hidden, Precision precision) {
  const bool int8 = precision == Precision::int8, bf16 = precision == Precision::bf16;
  const dt data = bf16 ? dt::bf16 : dt::f32;
  const dt input = int8 ? dt::u8 : data, weights = int8 ? dt::s8 : data;
  dnnl::primitive_attr attr;
  if (int8) {
    attr.set_rnn_data_qparams(127.5f, 127.5f);
    attr.set_rnn_weights_qparams((1 << 3) | (1 << 4), std::vector<float>(std::size_t{4} * hidden, 100.0f));
  }
  const memory::desc src({1, 1, inputs}, input, tag::tnc), dst({1, 1, hidden}, data, tag::tnc);
  const memory::desc iter({1, 1, 1, hidden}, data, tag::ldnc), iter_c({1, 1, 1, hidden}, dt::f32, tag::ldnc);
  const memory::desc bias({1, 1, 4, hidden}, dt::f32, tag::ldgo);
  const dnnl::lstm_forward::desc desc(dnnl::prop_kind::forward_inference,
                                      dnnl::rnn_direction::unidirectional_left2right, src, iter, iter_c,
                                      {{1, 1, inputs, 4, hidden}, weights, tag::any},
                                      {{1, 1, hidden, 4, hidden}, weights, tag::any}, bias, dst, iter, iter_c);
  const dnnl::lstm_forward::primitive_desc pd(desc, attr, engine);
  Layer layer{dnnl::lstm_forward(pd),
              memory(src, engine),
              memory(dst, engine),
              weights_for(engine, pd.weights_layer_desc(), inputs, hidden, attr),
              weights_for(engine, pd.weights_iter_desc(), hidden, hidden, attr),
              memory(bias, engine),
              {memory(iter, engine), memory(iter, engine)},
              {memory(iter_c, engine), memory(iter_c, engine)}};
  for (memory* m : {&layer.src, &layer.bias, &layer.h[0], &layer.c[0]})
    std::fill_n(static_cast<char*>(m->get_data_handle()), m->get_desc().get_size(), 0);
  return layer;
}

}  // namespace bare

// Seconds for `length` steps of the config's stacked LSTM layers, each step one primitive
// call per layer, the states going round between two buffers. Layers are not chained: a
// layer reads its own input buffer, since converting the layer below's output is charloom's
// work, not the primitive's. 0 where this oneDNN cannot build or run such a primitive.
inline double bare_lstm_seconds(const ModelConfig& config, Precision precision, std::int64_t length, int runs) noexcept
    try {
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  std::vector<bare::Layer> layers;
  for (int l = 0; l < config.layers; ++l)
    layers.push_back(
        bare::make_layer(engine, l == 0 ? config.embedding_size : config.hidden, config.hidden, precision));
  return median_seconds(runs, [&] {
    for (std::int64_t step = 0; step < length; ++step) {
      const int from = static_cast<int>(step % 2), to = 1 - from;
      for (bare::Layer& layer : layers)
        layer.primitive.execute(stream, {{DNNL_ARG_SRC_LAYER, layer.src},
                                         {DNNL_ARG_SRC_ITER, layer.h[from]},
                                         {DNNL_ARG_SRC_ITER_C, layer.c[from]},
                                         {DNNL_ARG_WEIGHTS_LAYER, layer.weights_layer},
                                         {DNNL_ARG_WEIGHTS_ITER, layer.weights_iter},
                                         {DNNL_ARG_BIAS, layer.bias},
                                         {DNNL_ARG_DST_LAYER, layer.dst},
                                         {DNNL_ARG_DST_ITER, layer.h[to]},
                                         {DNNL_ARG_DST_ITER_C, layer.c[to]}});
      stream.wait();
    }
  });
} catch (const std::exception&) {
  return 0.0;
}

}  // namespace charloom::bench
