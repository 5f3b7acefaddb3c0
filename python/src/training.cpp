// charloom.train: train-model's options as keyword arguments, each progress record as a dict
// to a callback on the caller's thread, and Ctrl-C as train-model's SIGINT.
#include <pybind11/stl.h>
#include <signal.h>

#include <algorithm>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "bindings.hpp"
#include "charloom/run_events.hpp"
#include "train-model/training_command.hpp"

namespace charloom::python {
namespace {

// Flags that take no value: given when True, left out when False.
bool is_switch(const std::string& flag) {
  return flag == "--quiet" || flag == "--bidirectional" || flag == "--freeze-encoder";
}

// The keyword arguments as train-model's command line: name_with_underscores=value becomes
// --name-with-underscores=value, and a list gives the flag once with every item after it.
std::vector<std::string> command_line(const py::kwargs& options) {
  std::vector<std::string> words{"train-model"};
  for (const auto& [key, value] : options) {
    std::string flag = "--" + key.cast<std::string>();
    std::replace(flag.begin(), flag.end(), '_', '-');
    if (value.is_none()) continue;
    if (py::isinstance<py::bool_>(value)) {
      const bool on = value.cast<bool>();
      if (!is_switch(flag))
        words.push_back(flag + (on ? "=true" : "=false"));
      else if (on)
        words.push_back(flag);
    } else if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
      words.push_back(flag);
      for (const auto& item : value) words.push_back(py::str(item).cast<std::string>());
    } else {
      words.push_back(flag + "=" + py::str(value).cast<std::string>());
    }
  }
  return words;
}

using Note = std::pair<NoteKind, std::string>;
using Record = std::variant<StepRecord, EvaluationRecord, EpochRecord, ProbeRecord, Note>;

py::dict to_dict(const Record& record) {
  py::dict d;
  if (const auto* r = std::get_if<StepRecord>(&record)) {
    d["kind"] = "step";
    d["iteration"] = r->iteration, d["max_iters"] = r->max_iters, d["epoch"] = r->epoch;
    d["train_loss"] = r->train_loss, d["val_loss"] = r->val_loss < 0 ? py::none() : py::cast(r->val_loss);
    d["chars_per_second"] = r->chars_per_second, d["lr"] = r->lr, d["grad_norm"] = r->grad_norm;
    d["eta_seconds"] = r->eta_seconds < 0 ? py::none() : py::cast(r->eta_seconds), d["seconds"] = r->seconds;
  } else if (const auto* r = std::get_if<EvaluationRecord>(&record)) {
    d["kind"] = "evaluation";
    d["iteration"] = r->iteration, d["epoch"] = r->epoch, d["val_loss"] = r->val_loss, d["val_bpc"] = r->val_bpc;
    d["best"] = r->best, d["seconds"] = r->seconds;
  } else if (const auto* r = std::get_if<EpochRecord>(&record)) {
    d["kind"] = "epoch";
    d["epoch"] = r->epoch, d["iteration"] = r->iteration, d["train_loss"] = r->train_loss;
    d["dev_accuracy"] = r->dev_accuracy, d["dev_loss"] = r->dev_loss, d["lr"] = r->lr, d["best"] = r->best;
    d["seconds"] = r->seconds;
  } else if (const auto* r = std::get_if<ProbeRecord>(&record)) {
    d["kind"] = "probe";
    d["penalty"] = r->penalty, d["c"] = r->c, d["dev_accuracy"] = r->dev_accuracy, d["seconds"] = r->seconds;
  } else {
    const auto& note = std::get<Note>(record);
    d["kind"] = note.first == NoteKind::warning ? "warning" : "note";
    d["text"] = note.second;
  }
  return d;
}

// Runs a training on its own thread and hands each record to the caller's thread, which calls
// the callback and, between records, lets Python's signal handlers run: a KeyboardInterrupt
// then stops the run at its next step, as SIGINT stops train-model.
class Handoff : public TrainingObserver {
 public:
  void on_step(const StepRecord& r) override { deliver(r); }
  void on_evaluation(const EvaluationRecord& r) override { deliver(r); }
  void on_epoch(const EpochRecord& r) override { deliver(r); }
  void on_probe(const ProbeRecord& r) override { deliver(r); }
  void on_note(NoteKind kind, const std::string& text) override { deliver(Note{kind, text}); }

  // On the caller's thread, with the GIL: runs `train` to its end and returns its summary;
  // raises what the callback or a signal handler raised, once the run has checkpointed.
  template <typename Summary, typename Train>
  Summary run(const py::object& callback, Train train) {
    Summary summary;
    std::exception_ptr failure;
    std::thread worker = start([&] {
      try {
        summary = train(RunHooks{this, &stop_});
      } catch (...) {
        failure = std::current_exception();
      }
      const std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
      changed_.notify_all();
    });
    serve(callback);
    worker.join();
    if (python_error_) std::rethrow_exception(python_error_);
    if (failure) std::rethrow_exception(failure);
    return summary;
  }

 private:
  void deliver(Record record) {
    std::unique_lock<std::mutex> lock(mutex_);
    pending_ = std::move(record);
    changed_.notify_all();
    changed_.wait(lock, [&] { return !pending_; });
  }

  // The worker starts with SIGINT and SIGTERM blocked, and so do the OpenMP threads it makes:
  // a signal then lands on the caller's thread, never inside oneDNN's JIT code.
  template <typename Body>
  static std::thread start(Body body) {
    sigset_t signals, old;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, &old);
    std::thread worker(std::move(body));
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return worker;
  }

  void serve(const py::object& callback) {
    for (;;) {
      std::optional<Record> record;
      {
        const py::gil_scoped_release released;
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait_for(lock, std::chrono::milliseconds(100), [&] { return pending_ || done_; });
        if (done_) return;
        record = pending_;
      }
      if (!python_error_ && PyErr_CheckSignals() != 0) stop_after(py::error_already_set(), SIGINT);
      if (record) {
        if (!python_error_ && !callback.is_none()) call(callback, *record);
        const std::lock_guard<std::mutex> lock(mutex_);
        pending_.reset();
        changed_.notify_all();
      }
    }
  }

  void call(const py::object& callback, const Record& record) {
    try {
      if (callback(to_dict(record)).ptr() == Py_False) stop_.request_stop();
    } catch (py::error_already_set& error) {
      stop_after(std::move(error), 0);
    }
  }

  void stop_after(py::error_already_set error, int signal) {
    try {
      throw std::move(error);
    } catch (...) {
      python_error_ = std::current_exception();
    }
    stop_.request_stop(signal);
  }

  StopRequest stop_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Record> pending_;
  bool done_ = false;
  std::exception_ptr python_error_;
};

py::dict summary_of(const TrainingSummary& s) {
  py::dict d;
  d["iterations"] = s.iterations, d["epochs"] = s.epochs, d["train_loss"] = s.train_loss;
  d["val_loss"] = s.val_loss, d["val_bpc"] = s.val_bpc, d["best_val_loss"] = s.best_val_loss;
  d["seconds"] = s.seconds, d["chars_per_second"] = s.chars_per_second, d["parameters"] = s.parameters;
  d["precision"] = s.precision, d["precision_reason"] = s.precision_reason;
  d["stopped_by"] = s.stopped_by, d["last_checkpoint"] = s.last_checkpoint, d["output"] = s.output;
  return d;
}

py::dict summary_of(const SentimentTrainingSummary& s) {
  py::dict d;
  d["iterations"] = s.iterations, d["epochs"] = s.epochs, d["train_loss"] = s.train_loss;
  d["dev_accuracy"] = s.dev_accuracy, d["dev_loss"] = s.dev_loss, d["best_epoch"] = s.best_epoch;
  d["dev_accuracy_half_fitted"] = s.dev_accuracy_half_fitted;
  d["seconds"] = s.seconds, d["texts_per_second"] = s.texts_per_second, d["parameters"] = s.parameters;
  d["stopped_by"] = s.stopped_by, d["last_checkpoint"] = s.last_checkpoint, d["output"] = s.output;
  return d;
}

py::dict train(const py::object& callback, const py::kwargs& options) {
  const std::vector<std::string> words = command_line(options);
  std::vector<char*> argv;
  for (const std::string& word : words) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  const TrainingCommand command = parse_training_command(static_cast<int>(words.size()), argv.data());
  if (command.help) throw UsageError("help is train-model's flag; see help(charloom.train)");
  Handoff handoff;
  if (command.sentiment)
    return summary_of(handoff.run<SentimentTrainingSummary>(
        callback, [&](const RunHooks& hooks) { return train_sentiment_classifier(command.sentiment_config, hooks); }));
  return summary_of(handoff.run<TrainingSummary>(
      callback, [&](const RunHooks& hooks) { return train_language_model(command.language_model, hooks); }));
}

}  // namespace

void bind_training(py::module_& module) {
  module.def("train", &train, py::kw_only(), py::arg("callback") = py::none(),
             "Trains a model as train-model does, with its options as keyword arguments (corpus=..., output=..., "
             "hidden=256, max_iters=1000, task='sentiment', ...) and the same defaults. callback(record) hears each "
             "step, evaluation, epoch and note as a dict, on this thread; returning False stops the run at that step "
             "with a checkpoint. Ctrl-C stops it the same way and then raises KeyboardInterrupt. Returns the "
             "summary as a dict.");
}

}  // namespace charloom::python
