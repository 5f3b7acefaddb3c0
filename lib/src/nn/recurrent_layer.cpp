// The oneDNN recipe for one layer: format_tag::any for weights, reorder once per update,
// primitives and workspaces built once per shape, states in plain ldnc.
#include "nn/recurrent_layer.hpp"

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

memory::desc plain(const memory::dims& dims, tag format) { return memory::desc(dims, dt::f32, format); }
memory::desc any(const memory::dims& dims) { return memory::desc(dims, dt::f32, tag::any); }

float* handle(const memory& m) { return static_cast<float*>(m.get_data_handle()); }

// A weight tensor in the primitive's format, refreshed from the plain copy by a reorder.
struct FormattedWeights {
  memory plain_memory, formatted;
  dnnl::reorder to_formatted;
  bool needs_reorder = false;

  FormattedWeights() = default;
  FormattedWeights(const memory& plain_source, const memory::desc& wanted) : plain_memory(plain_source) {
    needs_reorder = wanted != plain_source.get_desc();
    if (needs_reorder) {
      formatted = memory(wanted, cpu_engine());
      to_formatted = dnnl::reorder(plain_memory, formatted);
    } else {
      formatted = plain_memory;
    }
  }
  void refresh() {
    if (needs_reorder) to_formatted.execute(cpu_stream(), plain_memory, formatted);
  }
};

}  // namespace

struct RecurrentLayer::Impl {
  CellKind cell;
  int inputs, hidden, gates, bias_rows;
  std::uint64_t weights_version = 0;
  // Plain copies of the weights in oneDNN's gate order: ldgoi and ldgo.
  memory plain_weights_layer, plain_weights_iter, plain_bias;

  struct Plan {
    int steps = 0, batch = 0;
    bool training = false;
    std::uint64_t weights_version = ~std::uint64_t{0};
    dnnl::primitive forward;
    FormattedWeights weights_layer, weights_iter;
    memory workspace;
    // Training only.
    dnnl::primitive backward;
    FormattedWeights backward_weights_layer, backward_weights_iter;
    memory diff_weights_layer, diff_weights_iter, diff_bias;
    memory plain_diff_weights_layer, plain_diff_weights_iter;
    dnnl::reorder from_diff_layer, from_diff_iter;
    bool diff_layer_reorder = false, diff_iter_reorder = false;
    std::vector<float> zeros, diff_src_iter, diff_src_iter_c;
  };
  std::map<std::tuple<int, int, bool>, Plan> plans;

  // What the last forward_training used, for backward.
  struct Saved {
    Plan* plan = nullptr;
    const float *src = nullptr, *h0 = nullptr, *c0 = nullptr;
    float *dst = nullptr, *h_out = nullptr, *c_out = nullptr;
  } saved;

  Impl(CellKind cell_kind, int input_size, int hidden_size)
      : cell(cell_kind), inputs(input_size), hidden(hidden_size), gates(gate_count(cell_kind)),
        bias_rows(dnnl_bias_rows(cell_kind)) {
    plain_weights_layer = memory(plain({1, 1, inputs, gates, hidden}, tag::ldgoi), cpu_engine());
    plain_weights_iter = memory(plain({1, 1, hidden, gates, hidden}, tag::ldgoi), cpu_engine());
    plain_bias = memory(plain({1, 1, bias_rows, hidden}, tag::ldgo), cpu_engine());
  }

  bool lstm() const { return cell == CellKind::lstm; }

  memory::desc weights_layer_desc() const { return any({1, 1, inputs, gates, hidden}); }
  memory::desc weights_iter_desc() const { return any({1, 1, hidden, gates, hidden}); }
  memory::desc bias_desc() const { return plain({1, 1, bias_rows, hidden}, tag::ldgo); }

  Plan& plan_for(int steps, int batch, bool training);
  void execute_forward(Plan& plan, const float* src, float* dst, const float* h0, const float* c0, float* h_out,
                       float* c_out);
};

namespace {

// Builds forward and (for training) backward primitive descriptors for one cell kind.
struct Descriptors {
  dnnl::primitive_desc forward, backward;
};

Descriptors make_descriptors(CellKind cell, bool training, const memory::desc& src_layer,
                             const memory::desc& iter, const memory::desc& weights_layer,
                             const memory::desc& weights_iter, const memory::desc& bias,
                             const memory::desc& dst_layer) {
  using dnnl::prop_kind;
  const auto direction = dnnl::rnn_direction::unidirectional_left2right;
  const prop_kind prop = training ? prop_kind::forward_training : prop_kind::forward_inference;
  Descriptors result;
  switch (cell) {
    case CellKind::lstm: {
      dnnl::lstm_forward::desc fd(prop, direction, src_layer, iter, iter, weights_layer, weights_iter, bias,
                                  dst_layer, iter, iter);
      dnnl::lstm_forward::primitive_desc fpd(fd, cpu_engine());
      result.forward = fpd;
      if (training) {
        dnnl::lstm_backward::desc bd(prop_kind::backward, direction, src_layer, iter, iter, weights_layer,
                                     weights_iter, bias, dst_layer, iter, iter, src_layer, iter, iter,
                                     weights_layer, weights_iter, bias, dst_layer, iter, iter);
        result.backward = dnnl::lstm_backward::primitive_desc(bd, cpu_engine(), fpd);
      }
      break;
    }
    case CellKind::gru: {
      dnnl::lbr_gru_forward::desc fd(prop, direction, src_layer, iter, weights_layer, weights_iter, bias,
                                     dst_layer, iter);
      dnnl::lbr_gru_forward::primitive_desc fpd(fd, cpu_engine());
      result.forward = fpd;
      if (training) {
        dnnl::lbr_gru_backward::desc bd(prop_kind::backward, direction, src_layer, iter, weights_layer,
                                        weights_iter, bias, dst_layer, iter, src_layer, iter, weights_layer,
                                        weights_iter, bias, dst_layer, iter);
        result.backward = dnnl::lbr_gru_backward::primitive_desc(bd, cpu_engine(), fpd);
      }
      break;
    }
    case CellKind::rnn_tanh:
    case CellKind::rnn_relu: {
      const auto activation =
          cell == CellKind::rnn_tanh ? dnnl::algorithm::eltwise_tanh : dnnl::algorithm::eltwise_relu;
      dnnl::vanilla_rnn_forward::desc fd(prop, activation, direction, src_layer, iter, weights_layer,
                                         weights_iter, bias, dst_layer, iter);
      dnnl::vanilla_rnn_forward::primitive_desc fpd(fd, cpu_engine());
      result.forward = fpd;
      if (training) {
        dnnl::vanilla_rnn_backward::desc bd(prop_kind::backward, activation, direction, src_layer, iter,
                                            weights_layer, weights_iter, bias, dst_layer, iter, src_layer, iter,
                                            weights_layer, weights_iter, bias, dst_layer, iter);
        result.backward = dnnl::vanilla_rnn_backward::primitive_desc(bd, cpu_engine(), fpd);
      }
      break;
    }
  }
  return result;
}

memory::desc query(const dnnl::primitive_desc& pd, dnnl::query what, int index = 0) {
  return pd.query_md(what, index);
}

}  // namespace

RecurrentLayer::Impl::Plan& RecurrentLayer::Impl::plan_for(int steps, int batch, bool training) {
  auto key = std::make_tuple(steps, batch, training);
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;

  Plan& plan = plans[key];
  plan.steps = steps;
  plan.batch = batch;
  plan.training = training;
  const memory::desc src_layer = plain({steps, batch, inputs}, tag::tnc);
  const memory::desc dst_layer = plain({steps, batch, hidden}, tag::tnc);
  const memory::desc iter = plain({1, 1, batch, hidden}, tag::ldnc);
  Descriptors pds = make_descriptors(cell, training, src_layer, iter, weights_layer_desc(), weights_iter_desc(),
                                     bias_desc(), dst_layer);
  plan.forward = dnnl::primitive(pds.forward);
  plan.weights_layer = FormattedWeights(plain_weights_layer, query(pds.forward, dnnl::query::weights_md, 0));
  plan.weights_iter = FormattedWeights(plain_weights_iter, query(pds.forward, dnnl::query::weights_md, 1));
  if (training) {
    plan.workspace = memory(query(pds.forward, dnnl::query::workspace_md), cpu_engine());
    plan.backward = dnnl::primitive(pds.backward);
    plan.backward_weights_layer =
        FormattedWeights(plain_weights_layer, query(pds.backward, dnnl::query::weights_md, 0));
    plan.backward_weights_iter = FormattedWeights(plain_weights_iter, query(pds.backward, dnnl::query::weights_md, 1));
    const memory::desc diff_layer_md = query(pds.backward, dnnl::query::diff_weights_md, 0);
    const memory::desc diff_iter_md = query(pds.backward, dnnl::query::diff_weights_md, 1);
    plan.diff_weights_layer = memory(diff_layer_md, cpu_engine());
    plan.diff_weights_iter = memory(diff_iter_md, cpu_engine());
    plan.diff_bias = memory(query(pds.backward, dnnl::query::diff_weights_md, 2), cpu_engine());
    plan.plain_diff_weights_layer = memory(plain_weights_layer.get_desc(), cpu_engine());
    plan.plain_diff_weights_iter = memory(plain_weights_iter.get_desc(), cpu_engine());
    plan.diff_layer_reorder = diff_layer_md != plain_weights_layer.get_desc();
    plan.diff_iter_reorder = diff_iter_md != plain_weights_iter.get_desc();
    if (plan.diff_layer_reorder) plan.from_diff_layer = dnnl::reorder(plan.diff_weights_layer, plan.plain_diff_weights_layer);
    if (plan.diff_iter_reorder) plan.from_diff_iter = dnnl::reorder(plan.diff_weights_iter, plan.plain_diff_weights_iter);
    plan.diff_src_iter.resize(static_cast<std::size_t>(batch) * hidden);
    plan.diff_src_iter_c.resize(static_cast<std::size_t>(batch) * hidden);
  }
  plan.zeros.assign(static_cast<std::size_t>(batch) * hidden, 0.0f);
  return plan;
}

void RecurrentLayer::Impl::execute_forward(Plan& plan, const float* src, float* dst, const float* h0,
                                           const float* c0, float* h_out, float* c_out) {
  if (plan.weights_version != weights_version) {
    plan.weights_layer.refresh();
    plan.weights_iter.refresh();
    if (plan.training) {
      plan.backward_weights_layer.refresh();
      plan.backward_weights_iter.refresh();
    }
    plan.weights_version = weights_version;
  }
  auto& engine = cpu_engine();
  const memory::dims iter_dims{1, 1, plan.batch, hidden};
  const memory::desc iter = plain(iter_dims, tag::ldnc);
  auto state = [&](const float* p) { return memory(iter, engine, const_cast<float*>(p ? p : plan.zeros.data())); };
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC_LAYER, memory(plain({plan.steps, plan.batch, inputs}, tag::tnc), engine, const_cast<float*>(src))},
      {DNNL_ARG_SRC_ITER, state(h0)},
      {DNNL_ARG_WEIGHTS_LAYER, plan.weights_layer.formatted},
      {DNNL_ARG_WEIGHTS_ITER, plan.weights_iter.formatted},
      {DNNL_ARG_BIAS, plain_bias},
      {DNNL_ARG_DST_LAYER, memory(plain({plan.steps, plan.batch, hidden}, tag::tnc), engine, dst)},
      {DNNL_ARG_DST_ITER, memory(iter, engine, h_out)},
  };
  if (lstm()) {
    args.emplace(DNNL_ARG_SRC_ITER_C, state(c0));
    args.emplace(DNNL_ARG_DST_ITER_C, memory(iter, engine, c_out));
  }
  if (plan.training) args.emplace(DNNL_ARG_WORKSPACE, plan.workspace);
  plan.forward.execute(cpu_stream(), args);
  cpu_stream().wait();
}

RecurrentLayer::RecurrentLayer(CellKind cell, int inputs, int hidden)
    : impl_(std::make_unique<Impl>(cell, inputs, hidden)) {}
RecurrentLayer::~RecurrentLayer() = default;
RecurrentLayer::RecurrentLayer(RecurrentLayer&&) noexcept = default;
RecurrentLayer& RecurrentLayer::operator=(RecurrentLayer&&) noexcept = default;

CellKind RecurrentLayer::cell() const { return impl_->cell; }
bool RecurrentLayer::has_cell_state() const { return impl_->lstm(); }

void RecurrentLayer::set_weights(const LayerTensors& master) {
  Impl& m = *impl_;
  pack_weights(m.cell, m.hidden, m.inputs, master.w_ih, handle(m.plain_weights_layer));
  pack_weights(m.cell, m.hidden, m.hidden, master.w_hh, handle(m.plain_weights_iter));
  pack_bias(m.cell, m.hidden, master.b_ih, master.b_hh, handle(m.plain_bias));
  ++m.weights_version;
}

void RecurrentLayer::forward_training(int steps, int batch, const float* src, float* dst, const float* h0,
                                      const float* c0, float* h_out, float* c_out) {
  Impl::Plan& plan = impl_->plan_for(steps, batch, true);
  impl_->execute_forward(plan, src, dst, h0, c0, h_out, c_out);
  impl_->saved = Impl::Saved{&plan, src, h0, c0, dst, h_out, c_out};
}

void RecurrentLayer::forward_inference(int steps, int batch, const float* src, float* dst, const float* h0,
                                       const float* c0, float* h_out, float* c_out) {
  impl_->execute_forward(impl_->plan_for(steps, batch, false), src, dst, h0, c0, h_out, c_out);
}

void RecurrentLayer::backward(const float* diff_dst, float* diff_src, const LayerTensors& gradients) {
  Impl& m = *impl_;
  if (m.saved.plan == nullptr) throw Error("RecurrentLayer::backward called before forward_training");
  Impl::Plan& plan = *m.saved.plan;
  auto& engine = cpu_engine();
  const memory::desc iter = plain({1, 1, plan.batch, m.hidden}, tag::ldnc);
  const memory::desc src_md = plain({plan.steps, plan.batch, m.inputs}, tag::tnc);
  const memory::desc dst_md = plain({plan.steps, plan.batch, m.hidden}, tag::tnc);
  auto state = [&](const float* p) { return memory(iter, engine, const_cast<float*>(p ? p : plan.zeros.data())); };
  // oneDNN accumulates into the weight gradients: start them at zero.
  for (const memory* diff : {&plan.diff_weights_layer, &plan.diff_weights_iter, &plan.diff_bias})
    std::memset(diff->get_data_handle(), 0, diff->get_desc().get_size());
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC_LAYER, memory(src_md, engine, const_cast<float*>(m.saved.src))},
      {DNNL_ARG_SRC_ITER, state(m.saved.h0)},
      {DNNL_ARG_WEIGHTS_LAYER, plan.backward_weights_layer.formatted},
      {DNNL_ARG_WEIGHTS_ITER, plan.backward_weights_iter.formatted},
      {DNNL_ARG_BIAS, m.plain_bias},
      {DNNL_ARG_DST_LAYER, memory(dst_md, engine, m.saved.dst)},
      {DNNL_ARG_DST_ITER, memory(iter, engine, m.saved.h_out)},
      {DNNL_ARG_DIFF_SRC_LAYER, memory(src_md, engine, diff_src)},
      {DNNL_ARG_DIFF_SRC_ITER, memory(iter, engine, plan.diff_src_iter.data())},
      {DNNL_ARG_DIFF_WEIGHTS_LAYER, plan.diff_weights_layer},
      {DNNL_ARG_DIFF_WEIGHTS_ITER, plan.diff_weights_iter},
      {DNNL_ARG_DIFF_BIAS, plan.diff_bias},
      {DNNL_ARG_DIFF_DST_LAYER, memory(dst_md, engine, const_cast<float*>(diff_dst))},
      // Truncated BPTT: nothing flows back from the batch after this one.
      {DNNL_ARG_DIFF_DST_ITER, state(nullptr)},
      {DNNL_ARG_WORKSPACE, plan.workspace},
  };
  if (m.lstm()) {
    args.emplace(DNNL_ARG_SRC_ITER_C, state(m.saved.c0));
    args.emplace(DNNL_ARG_DST_ITER_C, memory(iter, engine, m.saved.c_out));
    args.emplace(DNNL_ARG_DIFF_SRC_ITER_C, memory(iter, engine, plan.diff_src_iter_c.data()));
    args.emplace(DNNL_ARG_DIFF_DST_ITER_C, state(nullptr));
  }
  plan.backward.execute(cpu_stream(), args);
  if (plan.diff_layer_reorder) plan.from_diff_layer.execute(cpu_stream(), plan.diff_weights_layer, plan.plain_diff_weights_layer);
  if (plan.diff_iter_reorder) plan.from_diff_iter.execute(cpu_stream(), plan.diff_weights_iter, plan.plain_diff_weights_iter);
  cpu_stream().wait();
  const memory& layer_grad = plan.diff_layer_reorder ? plan.plain_diff_weights_layer : plan.diff_weights_layer;
  const memory& iter_grad = plan.diff_iter_reorder ? plan.plain_diff_weights_iter : plan.diff_weights_iter;
  unpack_weights(m.cell, m.hidden, m.inputs, handle(layer_grad), gradients.w_ih);
  unpack_weights(m.cell, m.hidden, m.hidden, handle(iter_grad), gradients.w_hh);
  unpack_bias_gradient(m.cell, m.hidden, handle(plan.diff_bias), gradients.b_ih, gradients.b_hh);
}

}  // namespace charloom::nn
