// Signals, shell quoting and the resume command of train-model.
#include "train-model/run_commands.hpp"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

namespace charloom {

const StopRequest& stop_on_signals() {
  static StopRequest request;
  static bool started = false;
  if (started) return request;
  started = true;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    pthread_setname_np(pthread_self(), "stop-on-signal");  // sigwait unblocks them here: tests look for it
    for (;;) {
      int signal_number = 0;
      if (sigwait(&signals, &signal_number) != 0) continue;
      if (request.stop_requested()) {
        // The user asked twice: they want out now, checkpoint or not.
        const char line[] = "\ntrain-model: stopped at once by a second signal\n";
        (void)!::write(STDERR_FILENO, line, sizeof line - 1);
        std::_Exit(128 + signal_number);
      }
      request.request_stop(signal_number);
    }
  }).detach();
  return request;
}

std::string shell_quoted(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                              "_-+=./:,@%") == std::string::npos)
    return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string quoted_command(int argc, char** argv) {
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + shell_quoted(argv[i]);
  return command;
}

std::string resume_command(int argc, char** argv, const std::string& checkpoint, int processes) {
  std::string command = processes > 1 ? "mpirun -np " + std::to_string(processes) + " " : "";
  for (int i = 0; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--resume") {
      ++i;
      continue;
    }
    if (word.rfind("--resume=", 0) == 0) continue;
    command += (i ? " " : "") + shell_quoted(word);
  }
  return command + " --resume " + shell_quoted(checkpoint);
}

int report_stop(int signal, long long iterations, const std::string& checkpoint, const std::string& resume) {
  const char* name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a stop request";
  if (checkpoint.empty()) {
    std::fprintf(stderr, "train-model: stopped by %s before training began; nothing to resume\n", name);
    return signal > 0 ? 128 + signal : 1;
  }
  std::fprintf(stderr, "train-model: stopped by %s at iteration %lld; checkpoint %s\ntrain-model: resume with: %s\n",
               name, iterations, checkpoint.c_str(), resume.c_str());
  return signal > 0 ? 128 + signal : 1;
}

}  // namespace charloom
