// The oneDNN recipe for one layer: format_tag::any for weights, reorder once per update,
// primitives built once per shape, states in plain ldnc. The buffers a shape does not own
// (formatted weights, weight gradients, the workspace) are shared by every shape. In bf16
// the layer keeps its own bf16 copies of activations and hidden states and converts at its
// edges, so callers always see f32; every gradient stays f32, as oneDNN's bf16 backward
// requires.
// In int8 only the layer input is quantized here (to u8); states and outputs stay f32 and
// oneDNN quantizes the hidden state inside, with the same data scale.
#include "nn/recurrent_layer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "charloom/errors.hpp"
#include "nn/engine.hpp"
#include "nn/gate_layout.hpp"

namespace charloom::nn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

float* handle(const memory& m) { return static_cast<float*>(m.get_data_handle()); }

// Converts (or copies) between two memories of the same shape; oneDNN caches the primitive.
void convert(memory from, memory to) { dnnl::reorder(from, to).execute(cpu_stream(), from, to); }

// A weight tensor in the primitive's format and type, refreshed from the plain f32 copy.
struct FormattedWeights {
  memory plain_memory, formatted;
  dnnl::reorder to_formatted;
  bool needs_reorder = false;

  FormattedWeights() = default;
  // `attr` carries int8's weight scales: the reorder applies them and writes the compensation
  // that the primitive needs for its shifted u8 inputs.
  FormattedWeights(const memory& plain_source, const memory::desc& wanted,
                   const dnnl::primitive_attr& attr = dnnl::primitive_attr())
      : plain_memory(plain_source) {
    needs_reorder = wanted != plain_source.get_desc();
    if (!needs_reorder) {
      formatted = plain_memory;
      return;
    }
    formatted = memory(wanted, cpu_engine());
    dnnl::primitive_attr own = attr;
    own.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // see with_own_scratchpad
    const dnnl::reorder::primitive_desc pd(cpu_engine(), plain_source.get_desc(), cpu_engine(), wanted, own);
    to_formatted = dnnl::reorder(pd);
    scratchpad = memory(pd.scratchpad_desc(), cpu_engine());
  }
  void refresh() {
    if (needs_reorder)
      to_formatted.execute(
          cpu_stream(), {{DNNL_ARG_FROM, plain_memory}, {DNNL_ARG_TO, formatted}, {DNNL_ARG_SCRATCHPAD, scratchpad}});
  }
  memory scratchpad;
};

// `attr` with the scratchpad left to the caller. oneDNN's own (library) scratchpad is sized when
// a primitive is built, per thread: a primitive built on one thread and run on another, as a
// model shared by a server's threads is, would overrun the other thread's smaller one.
dnnl::primitive_attr with_own_scratchpad(dnnl::primitive_attr attr) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// Forward and (for training) backward primitive descriptors for one cell kind.
struct Descriptors {
  dnnl::primitive_desc forward, backward;
};

// The memory descriptors a layer's primitives take, for one shape and precision.
struct LayerDescs {
  memory::desc src_layer, dst_layer, iter, iter_c, weights_layer, weights_iter, bias;
  memory::desc diff_src_layer, diff_dst_layer, diff_iter, diff_weights_layer, diff_weights_iter, diff_bias;
};

Descriptors make_descriptors(CellKind cell, bool training, const LayerDescs& d, const dnnl::primitive_attr& attr) {
  using dnnl::prop_kind;
  const dnnl::primitive_attr backward_attr = with_own_scratchpad(dnnl::primitive_attr());
  const auto direction = dnnl::rnn_direction::unidirectional_left2right;
  const prop_kind prop = training ? prop_kind::forward_training : prop_kind::forward_inference;
  Descriptors result;
  switch (cell) {
    case CellKind::lstm: {
      dnnl::lstm_forward::desc fd(prop, direction, d.src_layer, d.iter, d.iter_c, d.weights_layer, d.weights_iter,
                                  d.bias, d.dst_layer, d.iter, d.iter_c);
      dnnl::lstm_forward::primitive_desc fpd(fd, attr, cpu_engine());
      result.forward = fpd;
      if (training) {
        dnnl::lstm_backward::desc bd(prop_kind::backward, direction, d.src_layer, d.iter, d.iter_c, d.weights_layer,
                                     d.weights_iter, d.bias, d.dst_layer, d.iter, d.iter_c, d.diff_src_layer,
                                     d.diff_iter, d.diff_iter, d.diff_weights_layer, d.diff_weights_iter, d.diff_bias,
                                     d.diff_dst_layer, d.diff_iter, d.diff_iter);
        result.backward = dnnl::lstm_backward::primitive_desc(bd, backward_attr, cpu_engine(), fpd);
      }
      break;
    }
    case CellKind::gru: {
      dnnl::lbr_gru_forward::desc fd(prop, direction, d.src_layer, d.iter, d.weights_layer, d.weights_iter, d.bias,
                                     d.dst_layer, d.iter);
      dnnl::lbr_gru_forward::primitive_desc fpd(fd, attr, cpu_engine());
      result.forward = fpd;
      if (training) {
        dnnl::lbr_gru_backward::desc bd(prop_kind::backward, direction, d.src_layer, d.iter, d.weights_layer,
                                        d.weights_iter, d.bias, d.dst_layer, d.iter, d.diff_src_layer, d.diff_iter,
                                        d.diff_weights_layer, d.diff_weights_iter, d.diff_bias, d.diff_dst_layer,
                                        d.diff_iter);
        result.backward = dnnl::lbr_gru_backward::primitive_desc(bd, backward_attr, cpu_engine(), fpd);
      }
      break;
    }
    case CellKind::rnn_tanh:
    case CellKind::rnn_relu: {
      const auto activation =
          cell == CellKind::rnn_tanh ? dnnl::algorithm::eltwise_tanh : dnnl::algorithm::eltwise_relu;
      dnnl::vanilla_rnn_forward::desc fd(prop, activation, direction, d.src_layer, d.iter, d.weights_layer,
                                         d.weights_iter, d.bias, d.dst_layer, d.iter);
      dnnl::vanilla_rnn_forward::primitive_desc fpd(fd, attr, cpu_engine());
      result.forward = fpd;
      if (training) {
        dnnl::vanilla_rnn_backward::desc bd(prop_kind::backward, activation, direction, d.src_layer, d.iter,
                                            d.weights_layer, d.weights_iter, d.bias, d.dst_layer, d.iter,
                                            d.diff_src_layer, d.diff_iter, d.diff_weights_layer, d.diff_weights_iter,
                                            d.diff_bias, d.diff_dst_layer, d.diff_iter);
        result.backward = dnnl::vanilla_rnn_backward::primitive_desc(bd, backward_attr, cpu_engine(), fpd);
      }
      break;
    }
  }
  return result;
}

memory::desc query(const dnnl::primitive_desc& pd, dnnl::query what, int index = 0) { return pd.query_md(what, index); }

// int8: u8 = round(scale * x + shift) maps the hidden state's range [-1, 1] onto [0, 255].
constexpr float data_scale = 127.5f, data_shift = 127.5f;
// Weight scales per gate row (dims g and o of ldigo), shared by the input and recurrent weights.
constexpr int per_gate_row_mask = (1 << 3) | (1 << 4);

}  // namespace

struct RecurrentLayer::Impl {
  CellKind cell;
  Precision precision;
  int inputs, hidden, gates, bias_rows;
  std::uint64_t weights_version = 0;
  // The weights in plain f32, ldgoi and ldgo: views of the master weights where the gate
  // order is PyTorch's, copies in oneDNN's order for the GRU; the bias is always a copy.
  memory plain_weights_layer, plain_weights_iter, plain_bias;
  // int8 only: the weights in ldigo, the one source layout oneDNN's quantizing reorder takes,
  // the input weights times input_bound (the inputs are divided by it), and the data and
  // weight scales every primitive and weight reorder is built with.
  float input_bound = 1.0f;
  memory int8_source_layer, int8_source_iter;
  dnnl::primitive_attr quantization;

  struct SharedWeights;  // below, with the other buffers plans share
  struct Plan {
    int steps = 0, batch = 0;
    bool training = false;
    LayerDescs descs;
    // The caller's side: f32 in plain layouts.
    memory::desc user_src, user_dst, user_iter;
    // Views of the caller's buffers, re-pointed on every call, and the forward's argument
    // map built once over them: a call allocates nothing.
    memory user_src_view, user_dst_view, user_h0_view, user_h_out_view, user_c0_view, user_c_out_view;
    std::unordered_map<int, memory> forward_args;
    // The same arguments for the C API: the C++ execute() copies its map into a new vector
    // on every call, this one is built once.
    std::vector<dnnl_exec_arg_t> forward_c_args;
    dnnl::primitive forward;
    SharedWeights *weights_layer = nullptr, *weights_iter = nullptr;
    memory workspace;                        // points into workspace_storage
    memory scratchpad, backward_scratchpad;  // point into scratchpad_storage
    // bf16 only: the primitive's own activations and states (kept for backward). int8 uses
    // src alone, for its u8 input.
    memory src, dst, h0, h_out, c0, c_out;
    // Training only.
    dnnl::primitive backward;
    SharedWeights *backward_weights_layer = nullptr, *backward_weights_iter = nullptr;
    memory diff_weights_layer, diff_weights_iter, diff_bias;
    memory plain_diff_weights_layer, plain_diff_weights_iter;  // GRU only; shared too: see scratch()
    std::vector<float> zeros, diff_src_iter, diff_src_iter_c;
  };
  std::map<std::tuple<int, int, bool>, Plan> plans;

  // What plans share. A model trained on texts of many lengths builds a plan per length; with
  // a copy of every weight-sized buffer and a workspace each, a 1x512 classifier took 2 GB.
  // Sharing is safe because a layer runs one forward, or one forward and its backward, at a
  // time: nothing in these buffers outlives the call that fills it, except the formatted
  // weights, which are the same for every plan and refreshed once per update.
  struct SharedWeights {
    FormattedWeights weights;
    std::uint64_t version = ~std::uint64_t{0};
  };
  std::vector<std::unique_ptr<SharedWeights>> shared_weights;
  struct Scratch {
    int role;
    memory buffer;
  };
  std::vector<Scratch> scratch_buffers;
  memory workspace_storage;
  // Scratch for one primitive's run at a time, shared by every plan's forward and backward.
  memory scratchpad_storage;

  // The formatted copy of `source` in the layout `wanted`, shared with other plans.
  SharedWeights* formatted_weights(const memory& source, const memory::desc& wanted,
                                   const dnnl::primitive_attr& attr = dnnl::primitive_attr()) {
    for (const auto& shared : shared_weights)
      if (shared->weights.plain_memory.get() == source.get() && shared->weights.formatted.get_desc() == wanted)
        return shared.get();
    shared_weights.push_back(std::make_unique<SharedWeights>());
    shared_weights.back()->weights = FormattedWeights(source, wanted, attr);
    return shared_weights.back().get();
  }
  // A buffer for one role (a gradient in some layout), shared by the plans that want that layout.
  memory scratch(int role, const memory::desc& desc) {
    for (const Scratch& existing : scratch_buffers)
      if (existing.role == role && existing.buffer.get_desc() == desc) return existing.buffer;
    scratch_buffers.push_back({role, memory(desc, cpu_engine())});
    return scratch_buffers.back().buffer;
  }
  void refresh(SharedWeights* shared) {
    if (shared->version == weights_version) return;
    shared->weights.refresh();
    shared->version = weights_version;
  }
  // Points the plan's workspace at storage big enough for it.
  void bind_workspace(Plan& plan) {
    const std::size_t needed = plan.workspace.get_desc().get_size();
    if (!workspace_storage || workspace_storage.get_desc().get_size() < needed)
      workspace_storage = memory({{static_cast<memory::dim>(needed)}, dt::u8, tag::a}, cpu_engine());
    plan.workspace.set_data_handle(workspace_storage.get_data_handle());
  }
  // Points a plan's scratchpad at storage big enough for it.
  void bind_scratchpad(memory& scratchpad) {
    const std::size_t needed = scratchpad.get_desc().get_size();
    if (!scratchpad_storage || scratchpad_storage.get_desc().get_size() < needed)
      scratchpad_storage =
          memory({{static_cast<memory::dim>(std::max<std::size_t>(needed, 1))}, dt::u8, tag::a}, cpu_engine());
    scratchpad.set_data_handle(scratchpad_storage.get_data_handle());
  }

  // What the last forward_training used, for backward.
  struct Saved {
    Plan* plan = nullptr;
    const float *src = nullptr, *h0 = nullptr, *c0 = nullptr;
    float *dst = nullptr, *h_out = nullptr, *c_out = nullptr;
  } saved;

  Impl(CellKind cell_kind, int input_size, int hidden_size, Precision layer_precision)
      : cell(cell_kind),
        precision(layer_precision),
        inputs(input_size),
        hidden(hidden_size),
        gates(gate_count(cell_kind)),
        bias_rows(dnnl_bias_rows(cell_kind)) {
    if (int8() && cell != CellKind::lstm)
      throw UsageError(
          "--precision int8 needs an LSTM model: oneDNN 2.6 quantizes LSTM layers only, and this model is " +
          std::string(to_string(cell)) + "; use --precision f32");
    if (!available_precision(precision))
      throw UsageError(
          "--precision bf16 needs a CPU with AVX-512: oneDNN 2.6 has no bf16 recurrent kernels for this one; use "
          "--precision f32");
    plain_weights_layer = memory({{1, 1, inputs, gates, hidden}, dt::f32, tag::ldgoi}, cpu_engine());
    plain_weights_iter = memory({{1, 1, hidden, gates, hidden}, dt::f32, tag::ldgoi}, cpu_engine());
    plain_bias = memory({{1, 1, bias_rows, hidden}, dt::f32, tag::ldgo}, cpu_engine());
  }

  bool lstm() const { return cell == CellKind::lstm; }
  bool bf16() const { return precision == Precision::bf16; }
  bool int8() const { return precision == Precision::int8; }
  void quantize_weights();

  Plan& plan_for(int steps, int batch, bool training);
  Plan& build_plan(const std::tuple<int, int, bool>& key);
  void bind_forward(Plan& plan);
  void forward(Plan& plan, const float* src, float* dst, const float* h0, const float* c0, float* h_out, float* c_out);
  memory user(const memory::desc& desc, const float* pointer) const {
    return memory(desc, cpu_engine(), const_cast<float*>(pointer));
  }
  // The primitive-side memory of an activation: the caller's buffer in f32, the plan's in bf16.
  memory primitive_side(const memory& own, const memory::desc& desc, const float* pointer) const {
    return bf16() ? own : user(desc, pointer);
  }
};

// The plan for a shape, built on first use. oneDNN's own errors become charloom's, so that no
// caller has to know oneDNN's types.
RecurrentLayer::Impl::Plan& RecurrentLayer::Impl::plan_for(int steps, int batch, bool training) {
  const auto key = std::make_tuple(steps, batch, training);
  if (auto found = plans.find(key); found != plans.end()) return found->second;
  if (training && int8()) throw Error("int8 layers are for inference only");
  try {
    return build_plan(key);
  } catch (const dnnl::error& error) {
    plans.erase(key);
    throw Error(std::string("oneDNN could not build a ") + std::string(to_string(precision)) + " " +
                std::string(to_string(cell)) + " layer for this CPU (" + error.what() +
                "); try --precision f32 or another cell");
  }
}

RecurrentLayer::Impl::Plan& RecurrentLayer::Impl::build_plan(const std::tuple<int, int, bool>& key) {
  const int steps = std::get<0>(key), batch = std::get<1>(key);
  const bool training = std::get<2>(key);
  Plan& plan = plans[key];
  plan.steps = steps;
  plan.batch = batch;
  plan.training = training;
  // In int8 only the input and the weights are 8-bit; states and outputs stay f32.
  const dt data = bf16() ? dt::bf16 : dt::f32;
  const dt input = int8() ? dt::u8 : data;
  const dt weights = int8() ? dt::s8 : data;
  plan.user_src = memory::desc({steps, batch, inputs}, dt::f32, tag::tnc);
  plan.user_dst = memory::desc({steps, batch, hidden}, dt::f32, tag::tnc);
  plan.user_iter = memory::desc({1, 1, batch, hidden}, dt::f32, tag::ldnc);
  LayerDescs& d = plan.descs;
  d.src_layer = memory::desc({steps, batch, inputs}, input, tag::tnc);
  d.dst_layer = memory::desc({steps, batch, hidden}, data, tag::tnc);
  d.iter = memory::desc({1, 1, batch, hidden}, data, tag::ldnc);
  d.iter_c = d.iter;
  d.weights_layer = memory::desc({1, 1, inputs, gates, hidden}, weights, tag::any);
  d.weights_iter = memory::desc({1, 1, hidden, gates, hidden}, weights, tag::any);
  d.bias = plain_bias.get_desc();
  d.diff_src_layer = plan.user_src;
  d.diff_dst_layer = plan.user_dst;
  d.diff_iter = plan.user_iter;
  d.diff_weights_layer = memory::desc({1, 1, inputs, gates, hidden}, dt::f32, tag::any);
  d.diff_weights_iter = memory::desc({1, 1, hidden, gates, hidden}, dt::f32, tag::any);
  d.diff_bias = plain_bias.get_desc();

  Descriptors pds = make_descriptors(cell, training, d, with_own_scratchpad(quantization));
  plan.scratchpad = memory(query(pds.forward, dnnl::query::scratchpad_md), cpu_engine(), DNNL_MEMORY_NONE);
  if (training)
    plan.backward_scratchpad = memory(query(pds.backward, dnnl::query::scratchpad_md), cpu_engine(), DNNL_MEMORY_NONE);
  plan.forward = dnnl::primitive(pds.forward);
  plan.weights_layer = formatted_weights(int8() ? int8_source_layer : plain_weights_layer,
                                         query(pds.forward, dnnl::query::weights_md, 0), quantization);
  plan.weights_iter = formatted_weights(int8() ? int8_source_iter : plain_weights_iter,
                                        query(pds.forward, dnnl::query::weights_md, 1), quantization);
  if (int8()) plan.src = memory(d.src_layer, cpu_engine());
  if (bf16()) {
    plan.src = memory(d.src_layer, cpu_engine());
    plan.dst = memory(d.dst_layer, cpu_engine());
    plan.h0 = memory(d.iter, cpu_engine());
    plan.h_out = memory(d.iter, cpu_engine());
    plan.c0 = memory(d.iter, cpu_engine());
    plan.c_out = memory(d.iter, cpu_engine());
  }
  if (training) {
    plan.workspace = memory(query(pds.forward, dnnl::query::workspace_md), cpu_engine(), DNNL_MEMORY_NONE);
    plan.backward = dnnl::primitive(pds.backward);
    plan.backward_weights_layer =
        formatted_weights(plain_weights_layer, query(pds.backward, dnnl::query::weights_md, 0));
    plan.backward_weights_iter = formatted_weights(plain_weights_iter, query(pds.backward, dnnl::query::weights_md, 1));
    plan.diff_weights_layer = scratch(0, query(pds.backward, dnnl::query::diff_weights_md, 0));
    plan.diff_weights_iter = scratch(1, query(pds.backward, dnnl::query::diff_weights_md, 1));
    plan.diff_bias = scratch(2, query(pds.backward, dnnl::query::diff_weights_md, 2));
    if (!torch_gate_order(cell)) {
      plan.plain_diff_weights_layer = scratch(3, plain_weights_layer.get_desc());
      plan.plain_diff_weights_iter = scratch(4, plain_weights_iter.get_desc());
    }
    plan.diff_src_iter.resize(static_cast<std::size_t>(batch) * hidden);
    plan.diff_src_iter_c.resize(static_cast<std::size_t>(batch) * hidden);
  }
  plan.zeros.assign(static_cast<std::size_t>(batch) * hidden, 0.0f);
  bind_forward(plan);
  return plan;
}

void RecurrentLayer::Impl::bind_forward(Plan& plan) {
  const auto view = [](const memory::desc& desc) { return memory(desc, cpu_engine(), DNNL_MEMORY_NONE); };
  plan.user_src_view = view(plan.user_src);
  plan.user_dst_view = view(plan.user_dst);
  plan.user_h0_view = view(plan.user_iter);
  plan.user_h_out_view = view(plan.user_iter);
  // In f32 the primitive reads and writes the caller's buffers; in bf16 its own copies; in
  // int8 its own input and the caller's states and output.
  const auto side = [&](const memory& own, const memory& user_view) { return bf16() ? own : user_view; };
  plan.forward_args = {
      {DNNL_ARG_SRC_LAYER, int8() ? plan.src : side(plan.src, plan.user_src_view)},
      {DNNL_ARG_SRC_ITER, side(plan.h0, plan.user_h0_view)},
      {DNNL_ARG_WEIGHTS_LAYER, plan.weights_layer->weights.formatted},
      {DNNL_ARG_WEIGHTS_ITER, plan.weights_iter->weights.formatted},
      {DNNL_ARG_BIAS, plain_bias},
      {DNNL_ARG_DST_LAYER, side(plan.dst, plan.user_dst_view)},
      {DNNL_ARG_DST_ITER, side(plan.h_out, plan.user_h_out_view)},
  };
  if (lstm()) {
    plan.user_c0_view = view(plan.user_iter);
    plan.user_c_out_view = view(plan.user_iter);
    plan.forward_args.emplace(DNNL_ARG_SRC_ITER_C, side(plan.c0, plan.user_c0_view));
    plan.forward_args.emplace(DNNL_ARG_DST_ITER_C, side(plan.c_out, plan.user_c_out_view));
  }
  if (plan.training) plan.forward_args.emplace(DNNL_ARG_WORKSPACE, plan.workspace);
  plan.forward_args.emplace(DNNL_ARG_SCRATCHPAD, plan.scratchpad);
  for (const auto& [argument, value] : plan.forward_args) plan.forward_c_args.push_back({argument, value.get()});
}

void RecurrentLayer::Impl::forward(Plan& plan, const float* src, float* dst, const float* h0, const float* c0,
                                   float* h_out, float* c_out) {
  refresh(plan.weights_layer);
  refresh(plan.weights_iter);
  if (plan.training) {
    refresh(plan.backward_weights_layer);
    refresh(plan.backward_weights_iter);
    bind_workspace(plan);
  }
  bind_scratchpad(plan.scratchpad);
  const float* h_in = h0 ? h0 : plan.zeros.data();
  const float* c_in = c0 ? c0 : plan.zeros.data();
  const auto point = [](const memory& view, const float* pointer) {
    view.set_data_handle(const_cast<float*>(pointer));
  };
  point(plan.user_src_view, src);
  point(plan.user_dst_view, dst);
  point(plan.user_h0_view, h_in);
  point(plan.user_h_out_view, h_out);
  if (lstm()) {
    point(plan.user_c0_view, c_in);
    point(plan.user_c_out_view, c_out);
  }
  if (int8()) {
    // The inputs divided by their bound, then mapped as the hidden state is: [-1, 1] to [0, 255].
    const std::size_t count = static_cast<std::size_t>(plan.steps) * plan.batch * inputs;
    const float scale = data_scale / input_bound;
    auto* quantized = static_cast<std::uint8_t*>(plan.src.get_data_handle());
#pragma omp simd
    for (std::size_t i = 0; i < count; ++i)
      quantized[i] = static_cast<std::uint8_t>(std::clamp(std::nearbyint(src[i] * scale + data_shift), 0.0f, 255.0f));
  }
  if (bf16()) {
    convert(plan.user_src_view, plan.src);
    convert(plan.user_h0_view, plan.h0);
    if (lstm()) convert(plan.user_c0_view, plan.c0);
  }
  const dnnl_status_t status = dnnl_primitive_execute(
      plan.forward.get(), cpu_stream().get(), static_cast<int>(plan.forward_c_args.size()), plan.forward_c_args.data());
  if (status != dnnl_success)
    throw Error("oneDNN could not run the recurrent layer (status " + std::to_string(status) + ")");
  if (bf16()) {
    convert(plan.dst, plan.user_dst_view);
    convert(plan.h_out, plan.user_h_out_view);
    if (lstm()) convert(plan.c_out, plan.user_c_out_view);
  }
  cpu_stream().wait();
}

RecurrentLayer::RecurrentLayer(CellKind cell, int inputs, int hidden, Precision precision)
    : impl_(std::make_unique<Impl>(cell, inputs, hidden, precision)) {}
RecurrentLayer::~RecurrentLayer() = default;
RecurrentLayer::RecurrentLayer(RecurrentLayer&&) noexcept = default;
RecurrentLayer& RecurrentLayer::operator=(RecurrentLayer&&) noexcept = default;

void RecurrentLayer::Impl::quantize_weights() {
  // x W = (x / bound)(bound W): the input weights carry the bound, so inputs fit [-1, 1].
  memory scaled_weights_layer(plain_weights_layer.get_desc(), cpu_engine());
  const std::size_t rows = static_cast<std::size_t>(gates) * hidden;
  const float* layer = handle(plain_weights_layer);
  const float* iter = handle(plain_weights_iter);
  float* scaled = handle(scaled_weights_layer);
  std::transform(layer, layer + rows * inputs, scaled, [&](float w) { return w * input_bound; });
  int8_source_layer = memory({{1, 1, inputs, gates, hidden}, dt::f32, tag::ldigo}, cpu_engine());
  int8_source_iter = memory({{1, 1, hidden, gates, hidden}, dt::f32, tag::ldigo}, cpu_engine());
  convert(scaled_weights_layer, int8_source_layer);
  convert(plain_weights_iter, int8_source_iter);
  cpu_stream().wait();
  // One scale per gate row (ldgoi keeps a row's inputs together): its largest weight maps to 127.
  std::vector<float> scales(rows);
  for (std::size_t row = 0; row < rows; ++row) {
    float largest = 0.0f;
    for (int i = 0; i < inputs; ++i) largest = std::max(largest, std::fabs(scaled[row * inputs + i]));
    for (int i = 0; i < hidden; ++i) largest = std::max(largest, std::fabs(iter[row * hidden + i]));
    scales[row] = largest > 0.0f ? 127.0f / largest : 1.0f;
  }
  quantization = dnnl::primitive_attr();
  quantization.set_rnn_data_qparams(data_scale, data_shift);
  quantization.set_rnn_weights_qparams(per_gate_row_mask, scales);
  // The scales live in every primitive and reorder: rebuild them.
  plans.clear();
  shared_weights.clear();
}

void RecurrentLayer::set_weights(const LayerTensors& master, float input_bound) {
  Impl& m = *impl_;
  if (torch_gate_order(m.cell)) {
    m.plain_weights_layer.set_data_handle(master.w_ih);
    m.plain_weights_iter.set_data_handle(master.w_hh);
  } else {
    pack_weights(m.cell, m.hidden, m.inputs, master.w_ih, handle(m.plain_weights_layer));
    pack_weights(m.cell, m.hidden, m.hidden, master.w_hh, handle(m.plain_weights_iter));
  }
  pack_bias(m.cell, m.hidden, master.b_ih, master.b_hh, handle(m.plain_bias));
  if (m.int8()) {
    m.input_bound = input_bound > 0.0f ? input_bound : 1.0f;
    m.quantize_weights();
  }
  ++m.weights_version;
}

void RecurrentLayer::forward_training(int steps, int batch, const float* src, float* dst, const float* h0,
                                      const float* c0, float* h_out, float* c_out) {
  Impl::Plan& plan = impl_->plan_for(steps, batch, true);
  impl_->forward(plan, src, dst, h0, c0, h_out, c_out);
  impl_->saved = Impl::Saved{&plan, src, h0, c0, dst, h_out, c_out};
}

void RecurrentLayer::forward_inference(int steps, int batch, const float* src, float* dst, const float* h0,
                                       const float* c0, float* h_out, float* c_out) {
  impl_->forward(impl_->plan_for(steps, batch, false), src, dst, h0, c0, h_out, c_out);
}

void RecurrentLayer::backward(const float* diff_dst, float* diff_src, const LayerTensors& gradients) {
  Impl& m = *impl_;
  if (m.saved.plan == nullptr) throw Error("RecurrentLayer::backward called before forward_training");
  Impl::Plan& plan = *m.saved.plan;
  const float* zeros = plan.zeros.data();
  // oneDNN accumulates into the weight gradients: start them at zero.
  for (const memory* diff : {&plan.diff_weights_layer, &plan.diff_weights_iter, &plan.diff_bias})
    std::memset(diff->get_data_handle(), 0, diff->get_desc().get_size());
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC_LAYER, m.primitive_side(plan.src, plan.user_src, m.saved.src)},
      {DNNL_ARG_SRC_ITER, m.primitive_side(plan.h0, plan.user_iter, m.saved.h0 ? m.saved.h0 : zeros)},
      {DNNL_ARG_WEIGHTS_LAYER, plan.backward_weights_layer->weights.formatted},
      {DNNL_ARG_WEIGHTS_ITER, plan.backward_weights_iter->weights.formatted},
      {DNNL_ARG_BIAS, m.plain_bias},
      {DNNL_ARG_DST_LAYER, m.primitive_side(plan.dst, plan.user_dst, m.saved.dst)},
      {DNNL_ARG_DST_ITER, m.primitive_side(plan.h_out, plan.user_iter, m.saved.h_out)},
      {DNNL_ARG_DIFF_SRC_LAYER, m.user(plan.user_src, diff_src)},
      {DNNL_ARG_DIFF_SRC_ITER, m.user(plan.user_iter, plan.diff_src_iter.data())},
      {DNNL_ARG_DIFF_WEIGHTS_LAYER, plan.diff_weights_layer},
      {DNNL_ARG_DIFF_WEIGHTS_ITER, plan.diff_weights_iter},
      {DNNL_ARG_DIFF_BIAS, plan.diff_bias},
      {DNNL_ARG_DIFF_DST_LAYER, m.user(plan.user_dst, diff_dst)},
      // Truncated BPTT: nothing flows back from the batch after this one.
      {DNNL_ARG_DIFF_DST_ITER, m.user(plan.user_iter, zeros)},
      {DNNL_ARG_WORKSPACE, plan.workspace},
      {DNNL_ARG_SCRATCHPAD, plan.backward_scratchpad},
  };
  m.bind_scratchpad(plan.backward_scratchpad);
  if (m.lstm()) {
    args.emplace(DNNL_ARG_SRC_ITER_C, m.primitive_side(plan.c0, plan.user_iter, m.saved.c0 ? m.saved.c0 : zeros));
    args.emplace(DNNL_ARG_DST_ITER_C, m.primitive_side(plan.c_out, plan.user_iter, m.saved.c_out));
    args.emplace(DNNL_ARG_DIFF_SRC_ITER_C, m.user(plan.user_iter, plan.diff_src_iter_c.data()));
    args.emplace(DNNL_ARG_DIFF_DST_ITER_C, m.user(plan.user_iter, zeros));
  }
  plan.backward.execute(cpu_stream(), args);
  if (torch_gate_order(m.cell)) {
    convert(plan.diff_weights_layer, m.user(m.plain_weights_layer.get_desc(), gradients.w_ih));
    convert(plan.diff_weights_iter, m.user(m.plain_weights_iter.get_desc(), gradients.w_hh));
    cpu_stream().wait();
  } else {
    convert(plan.diff_weights_layer, plan.plain_diff_weights_layer);
    convert(plan.diff_weights_iter, plan.plain_diff_weights_iter);
    cpu_stream().wait();
    unpack_weights(m.cell, m.hidden, m.inputs, handle(plan.plain_diff_weights_layer), gradients.w_ih);
    unpack_weights(m.cell, m.hidden, m.hidden, handle(plan.plain_diff_weights_iter), gradients.w_hh);
  }
  unpack_bias_gradient(m.cell, m.hidden, handle(plan.diff_bias), gradients.b_ih, gradients.b_hh);
}

}  // namespace charloom::nn
