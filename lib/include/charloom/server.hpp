// charloom's HTTP server as a library: OpenAI-style completions with continuous batching,
// scoring, sentiment, metrics and a web page, over the models it is given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "charloom/model_config.hpp"

namespace charloom {

struct ServerConfig {
  std::vector<std::string> models;  // names or paths; none: the shipped shakespeare and sst2
  std::string host = "127.0.0.1";
  int port = 8080;                // 0: any free port (port() says which)
  int max_streams = 64;           // streams each language model steps together
  int max_queue = 64;             // requests waiting for streams, per model; past it, 503
  std::int64_t max_units = 4096;  // the longest prompt, text and completion, in units
  std::string api_key;            // when set, every endpoint but /health needs it
  Precision precision = Precision::f32;
  int timeout_seconds = 30;  // for reading a request and writing a response
  // The least time between two chunks of one stream. Units sampled meanwhile share a chunk:
  // each chunk costs a wake-up, a JSON line and a write, which at one unit per chunk take
  // CPU from sampling. 0 sends each unit as soon as it is ready.
  int stream_interval_ms = 20;
  void validate() const;  // UsageError naming the flag
};

// What the server serves under a name.
struct ServedModel {
  std::string name;  // the name given, or a file's name without .safetensors
  std::string kind;  // language-model or sentiment-classifier
  std::string path;
};

// Told what the server does; the app prints it, a test records it.
class ServerEvents {
 public:
  virtual ~ServerEvents() = default;
  virtual void listening(const std::string& /*host*/, int /*port*/, const std::vector<ServedModel>& /*models*/) {}
  // A request answered: its method, path and HTTP status.
  virtual void answered(const std::string& /*method*/, const std::string& /*path*/, int /*status*/) {}
};

class Server {
 public:
  // Loads every model; InputError or UsageError when one cannot be served.
  explicit Server(const ServerConfig& config, ServerEvents* events = nullptr);
  ~Server();  // shuts down
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and serves on background threads. IoError naming the address when the port is taken.
  void start();
  int port() const;
  const std::vector<ServedModel>& models() const;
  // Ends the streams in progress (finish_reason "cancelled"), stops accepting and waits for
  // the connections to finish. Safe to call more than once and from any thread.
  void shutdown();
  // Blocks until shutdown() has finished.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace charloom
