// The HTTP side: routes, authentication, limits and errors on cpp-httplib, and the models
// behind them. Generation goes through each language model's worker; the rest runs here.
#include "charloom/server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <thread>

#include "charloom/errors.hpp"
#include "charloom/language_model.hpp"
#include "charloom/model_catalog.hpp"
#include "charloom/sentiment.hpp"
#include "serve/api_error.hpp"
#include "serve/completion_api.hpp"
#include "serve/generation_worker.hpp"
#include "serve/metrics.hpp"
#include "serve/page.hpp"
#include "serve/request_fields.hpp"
#include "serve/scoring_api.hpp"

namespace charloom {

namespace {

constexpr std::size_t max_body_bytes = 1 << 20;

// Each path and the one method it answers; anything else is 404, or 405 on a known path.
const std::map<std::string, std::string>& routes() {
  static const std::map<std::string, std::string> table{
      {"/", "GET"},          {"/health", "GET"},          {"/metrics", "GET"},
      {"/v1/models", "GET"}, {"/v1/completions", "POST"}, {"/v1/sentiment", "POST"},
      {"/v1/score", "POST"}};
  return table;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void send_json(httplib::Response& res, const nlohmann::ordered_json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(serve::error_body(status, message), "application/json");
}

}  // namespace

void ServerConfig::validate() const {
  const auto check = [](const char* flag, std::int64_t value, std::int64_t low, std::int64_t high) {
    if (value < low || value > high)
      throw UsageError(std::string(flag) + " must be from " + std::to_string(low) + " to " + std::to_string(high) +
                       ", got " + std::to_string(value));
  };
  check("--port", port, 0, 65535);
  check("--max-streams", max_streams, 1, 4096);
  check("--max-queue", max_queue, 0, 65536);
  check("--max-units", max_units, 1, 1'000'000);
  check("--timeout", timeout_seconds, 1, 3600);
  check("--stream-interval", stream_interval_ms, 0, 1000);
  if (host.empty()) throw UsageError("--host must not be empty");
}

struct Server::Impl {
  ServerConfig config;
  ServerEvents* events;
  std::vector<ServedModel> served;
  std::map<std::string, std::unique_ptr<LanguageModel>> language;
  std::map<std::string, std::unique_ptr<SentimentModel>> sentiment;
  std::map<std::string, std::unique_ptr<serve::GenerationWorker>> workers;
  serve::Metrics metrics;
  httplib::Server http;
  std::thread listener;
  std::int64_t started = unix_now();
  std::atomic<std::uint64_t> next_id{1};
  std::mutex state_mutex;
  std::condition_variable state_changed;
  bool shutting_down = false, stopped = false;

  Impl(const ServerConfig& config_, ServerEvents* events_) : config(config_), events(events_) {}

  void load(const std::string& name_or_path);
  void set_up_http();
  bool authorized(const httplib::Request& req) const;
  template <typename Models>
  auto& pick(Models& models, const nlohmann::json& body, const char* kind);

  void completions(const httplib::Request& req, httplib::Response& res);
  void stream_completion(httplib::Response& res, const std::shared_ptr<serve::GenerationJob>& job,
                         const std::shared_ptr<serve::CompletionWriter>& writer);
};

void Server::Impl::load(const std::string& name_or_path) {
  const std::string path = resolve_model(name_or_path);
  const std::string name = path == name_or_path ? std::filesystem::path(path).stem().string() : name_or_path;
  for (const ServedModel& model : served)
    if (model.name == name) throw UsageError("two models are named '" + name + "': serve each name once");
  const ModelFile file = load_model_file(path);
  if (file.kind == language_model_kind) {
    auto model = std::make_unique<LanguageModel>(file, config.precision);
    workers[name] = std::make_unique<serve::GenerationWorker>(*model, config.max_streams, config.max_queue,
                                                              metrics.generation(name));
    language[name] = std::move(model);
  } else {
    sentiment[name] = std::make_unique<SentimentModel>(file, config.precision);
  }
  served.push_back({name, file.kind, path});
}

bool Server::Impl::authorized(const httplib::Request& req) const {
  if (config.api_key.empty() || req.path == "/health") return true;
  return req.get_header_value("Authorization") == "Bearer " + config.api_key;
}

// The model a request names, or the first of its kind; 404 listing those served.
template <typename Models>
auto& Server::Impl::pick(Models& models, const nlohmann::json& body, const char* kind) {
  const std::string wanted = serve::Fields(body).string("model").value_or("");
  if (wanted.empty() && !models.empty()) {
    for (const ServedModel& model : served)
      if (models.count(model.name) != 0) return *models.find(model.name);
  }
  const auto found = models.find(wanted);
  if (found != models.end()) return *found;
  std::string names;
  for (const auto& [name, model] : models) names += (names.empty() ? "" : ", ") + name;
  throw serve::ApiError(404, (wanted.empty() ? std::string("no ") + kind + " is served"
                                             : "model '" + wanted + "' is not a " + kind + " served here") +
                                 "; " + kind + "s served: " + (names.empty() ? "none" : names));
}

void Server::Impl::completions(const httplib::Request& req, httplib::Response& res) {
  const nlohmann::json body = serve::parse_body(req.body);
  auto& [name, model] = pick(language, body, "language model");
  serve::CompletionRequest request = serve::parse_completion(body, config.max_units, config.max_streams);
  request.model = name;
  std::int64_t prompt_units = 0;
  const auto job = serve::completion_job(request, *model, config.max_units, prompt_units);
  const auto writer =
      std::make_shared<serve::CompletionWriter>(request, "cmpl-" + std::to_string(next_id++), unix_now(), prompt_units);
  if (!workers.at(name)->submit(job))
    throw serve::ApiError(
        503, "the server is busy: every stream and queue place of '" + name + "' is taken; try again shortly");
  if (request.stream) return stream_completion(res, job, writer);
  while (!job->finished()) writer->add(job->take(std::chrono::milliseconds(200)));
  send_json(res, writer->response());
}

void Server::Impl::stream_completion(httplib::Response& res, const std::shared_ptr<serve::GenerationJob>& job,
                                     const std::shared_ptr<serve::CompletionWriter>& writer) {
  res.set_header("Cache-Control", "no-cache");
  // Exactly text/event-stream: the only type Debian's cpp-httplib never compresses, so no
  // unit waits in a compressor's buffer.
  res.set_chunked_content_provider(
      "text/event-stream",
      [job, writer, interval = std::chrono::milliseconds(config.stream_interval_ms),
       next = std::chrono::steady_clock::time_point()](std::size_t, httplib::DataSink& sink) mutable {
        if (!sink.is_writable()) {
          job->abandon();
          return false;
        }
        // The first unit goes at once; later ones gather for the interval.
        std::this_thread::sleep_until(next);
        const std::string chunks = writer->chunks(job->take(std::chrono::milliseconds(100)));
        if (!chunks.empty() && !sink.write(chunks.data(), chunks.size())) {
          job->abandon();
          return false;
        }
        if (!chunks.empty()) next = std::chrono::steady_clock::now() + interval;
        if (writer->done() || writer->failed()) sink.done();
        return true;
      },
      [job](bool success) {
        if (!success) job->abandon();
      });
}

void Server::Impl::set_up_http() {
  const int threads = static_cast<int>(workers.size()) * (config.max_streams + config.max_queue) + 8;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  http.set_read_timeout(config.timeout_seconds, 0);
  http.set_write_timeout(config.timeout_seconds, 0);
  // An idle kept-alive connection holds a pool thread until this timeout, and shutdown waits
  // for it: short, so that SIGTERM exits promptly.
  http.set_keep_alive_timeout(1);
  http.set_payload_max_length(max_body_bytes);
  http.set_tcp_nodelay(true);
  // Without SO_REUSEPORT (cpp-httplib's default sets it), a second server on a busy port
  // fails to bind instead of silently sharing its traffic.
  http.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const auto route = routes().find(req.path);
    if (route == routes().end()) {
      send_error(res, 404, "no such path: " + req.path + "; see GET /v1/models and the docs for the endpoints");
    } else if (route->second != req.method && !(route->second == "GET" && req.method == "HEAD")) {
      res.set_header("Allow", route->second);
      send_error(res, 405, req.path + " takes " + route->second + ", not " + req.method);
    } else if (!authorized(req)) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "this server needs an API key: send the header 'Authorization: Bearer KEY'");
    } else {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      return send_error(res, 413, "the body is over " + std::to_string(max_body_bytes) + " bytes: send less at once");
    send_error(res, res.status, "HTTP status " + std::to_string(res.status));
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr thrown) {
    try {
      std::rethrow_exception(std::move(thrown));
    } catch (const serve::ApiError& error) {
      send_error(res, error.status(), error.what());
    } catch (const UsageError& error) {
      send_error(res, 400, error.what());
    } catch (const std::exception& error) {
      send_error(res, 500, std::string("internal error: ") + error.what());
    }
  });
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const bool known = routes().count(req.path) != 0;
    metrics.answered(known ? req.path : "other", res.status);
    if (events != nullptr) events->answered(req.method, req.path, res.status);
  });

  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(serve::page_html()), "text/html; charset=utf-8");
  });
  http.Get("/health", [](const httplib::Request&, httplib::Response& res) { send_json(res, {{"status", "ok"}}); });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.prometheus_text(), "text/plain; version=0.0.4");
  });
  http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::ordered_json data = nlohmann::ordered_json::array();
    for (const ServedModel& model : served)
      data.push_back({{"id", model.name},
                      {"object", "model"},
                      {"created", started},
                      {"owned_by", "charloom"},
                      {"kind", model.kind}});
    send_json(res, {{"object", "list"}, {"data", data}});
  });
  http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) { completions(req, res); });
  http.Post("/v1/score", [this](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = serve::parse_body(req.body);
    auto& [name, model] = pick(language, body, "language model");
    send_json(res, serve::score_texts(body, *model, name, config.max_units));
  });
  http.Post("/v1/sentiment", [this](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = serve::parse_body(req.body);
    auto& [name, model] = pick(sentiment, body, "sentiment classifier");
    send_json(res, serve::sentiment_of_texts(body, *model, name, config.max_units));
  });
}

Server::Server(const ServerConfig& config, ServerEvents* events) : impl_(std::make_unique<Impl>(config, events)) {
  config.validate();
  std::vector<std::string> models = config.models;
  if (models.empty()) models = {"shakespeare", "sst2"};
  for (const std::string& model : models) impl_->load(model);
  impl_->set_up_http();
}

Server::~Server() { shutdown(); }

void Server::start() {
  Impl& impl = *impl_;
  const std::string address = impl.config.host + ":" + std::to_string(impl.config.port);
  bool bound = false;
  if (impl.config.port == 0) {
    const int port = impl.http.bind_to_any_port(impl.config.host);
    bound = port > 0;
    if (bound) impl.config.port = port;
  } else {
    bound = impl.http.bind_to_port(impl.config.host, impl.config.port);
  }
  if (!bound)
    throw IoError("cannot listen on " + address +
                  ": the port is in use or the address is not this machine's; pick another with --port or --host");
  impl.listener = std::thread([&impl] { impl.http.listen_after_bind(); });
  while (!impl.http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (impl.events != nullptr) impl.events->listening(impl.config.host, impl.config.port, impl.served);
}

int Server::port() const { return impl_->config.port; }

const std::vector<ServedModel>& Server::models() const { return impl_->served; }

void Server::shutdown() {
  Impl& impl = *impl_;
  {
    const std::lock_guard<std::mutex> lock(impl.state_mutex);
    if (impl.shutting_down) return;
    impl.shutting_down = true;
  }
  // Streams first: their handlers then write their last chunk and free the pool's threads,
  // which stop() waits for.
  for (auto& [name, worker] : impl.workers) worker->shutdown();
  impl.http.stop();
  if (impl.listener.joinable()) impl.listener.join();
  {
    const std::lock_guard<std::mutex> lock(impl.state_mutex);
    impl.stopped = true;
  }
  impl.state_changed.notify_all();
}

void Server::wait() {
  std::unique_lock<std::mutex> lock(impl_->state_mutex);
  impl_->state_changed.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace charloom
