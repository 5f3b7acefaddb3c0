// serve-model: serves language models and sentiment classifiers over HTTP until SIGINT or
// SIGTERM, which end the streams in progress and exit 0.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/server.hpp"
#include "common/cli.hpp"

using namespace charloom;
namespace po = boost::program_options;

namespace {

// Prints the ready line (tests and scripts wait for it) and, when asked, each request.
class PrintedEvents : public ServerEvents {
 public:
  explicit PrintedEvents(bool requests) : requests_(requests) {}
  void listening(const std::string& host, int port, const std::vector<ServedModel>& models) override {
    std::string names;
    for (const ServedModel& model : models) names += (names.empty() ? "" : ", ") + model.name + ": " + model.kind;
    cli::write_stdout_now("serve-model: listening on http://" + host + ":" + std::to_string(port) + " (" + names +
                          ")\n");
  }
  void answered(const std::string& method, const std::string& path, int status) override {
    if (requests_) std::fprintf(stderr, "serve-model: %s %s %d\n", method.c_str(), path.c_str(), status);
  }

 private:
  bool requests_;
};

// SIGINT and SIGTERM go to one waiting thread rather than interrupting any other: blocked
// here, before the server starts its threads, which inherit the mask.
sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// OpenMP's threads spin for a while after each parallel region by default. Between a server's
// steps that spinning takes the cores its HTTP threads need to send what the step made, and
// costs more than waking the threads again. libgomp reads the policy once, as it loads, so the
// server sets it and starts itself again. An OMP_WAIT_POLICY the user set is kept.
void wait_passively(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then serve as we are
}

}  // namespace

int main(int argc, char** argv) {
  wait_passively(argv);
  return cli::run("serve-model", [&] {
    ServerConfig config;
    cli::ComputeFlags compute;
    bool list_models = false, log_requests = false;
    po::options_description flags("serve-model options");
    // clang-format off
    flags.add_options()
        ("model", po::value(&config.models)->composing(),
         "a model to serve, by name or path (repeatable; default: shakespeare and sst2)")
        ("list-models", po::bool_switch(&list_models), "list the models found by name, then exit")
        ("host", po::value(&config.host)->default_value(config.host),
         "the address to listen on (0.0.0.0 for every interface)")
        ("port", po::value(&config.port)->default_value(config.port), "the port (0: any free port)")
        ("max-streams", po::value(&config.max_streams)->default_value(config.max_streams),
         "streams each language model steps together")
        ("max-queue", po::value(&config.max_queue)->default_value(config.max_queue),
         "requests that wait for streams per model; past it, 503")
        ("max-units", po::value(&config.max_units)->default_value(config.max_units),
         "the longest prompt, text or completion, in units")
        ("api-key", po::value(&config.api_key),
         "require 'Authorization: Bearer KEY' on every endpoint but /health (default: $CHARLOOM_API_KEY)")
        ("timeout", po::value(&config.timeout_seconds)->default_value(config.timeout_seconds),
         "seconds to read a request or write a response")
        ("stream-interval", po::value(&config.stream_interval_ms)->default_value(config.stream_interval_ms),
         "the least milliseconds between two chunks of a stream; units ready meanwhile share one (0: one chunk per unit)")
        ("log-requests", po::bool_switch(&log_requests), "print each request's method, path and status on stderr")
        ("help,h", "show this help");
    // clang-format on
    compute.add_to(flags);
    po::positional_options_description positional;
    po::variables_map values;
    if (!cli::parse(argc, argv, flags, positional, values, "serve-model [--model NAME|FILE]... [options]")) return 0;
    cli::ModelFlags lister;
    lister.list = list_models;
    if (lister.list_if_asked()) return 0;
    if (config.api_key.empty())
      if (const char* key = std::getenv("CHARLOOM_API_KEY")) config.api_key = key;
    config.validate();
    config.precision = compute.apply("serve-model");

    const sigset_t signals = stop_signals();
    PrintedEvents events(log_requests);
    Server server(config, &events);
    server.start();
    std::thread waiter([&] {
      int signal = 0;
      sigwait(&signals, &signal);
      server.shutdown();
    });
    server.wait();
    waiter.join();
    return 0;
  });
}
