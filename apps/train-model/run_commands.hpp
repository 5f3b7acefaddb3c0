// train-model's stop handling and the command lines it prints: the invocation recorded in the
// model, and the command that resumes an interrupted run, each pasteable into a shell.
#pragma once

#include <string>

#include "charloom/run_events.hpp"

namespace charloom {

// The stop request that SIGINT and SIGTERM set. Both signals are blocked before any thread
// exists, so that every thread inherits the mask, and one thread takes them with sigwait: a
// handler that interrupts oneDNN 2.6's JIT sgemm writes its frame over the heap (oneDNN issue
// #4845). A second signal ends the process at once, with 128 + its number.
const StopRequest& stop_on_signals();

// One word quoted for a POSIX shell: as it is when it is safe, else in single quotes.
std::string shell_quoted(const std::string& word);

// argv, each word shell-quoted.
std::string quoted_command(int argc, char** argv);

// The command to resume: the same arguments without any old --resume, plus the new one,
// under mpirun when the run was data-parallel.
std::string resume_command(int argc, char** argv, const std::string& checkpoint, int processes);

// Prints how the run stopped and how to resume it; returns the exit status, 128 + the signal.
int report_stop(int signal, long long iterations, const std::string& checkpoint, const std::string& resume);

}  // namespace charloom
