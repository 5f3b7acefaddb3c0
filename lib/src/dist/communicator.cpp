// MPI_COMM_WORLD behind the Communicator, or the one-process identity when MPI is absent.
#include "dist/communicator.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <thread>
#include <vector>

#include "charloom/distributed.hpp"
#include "charloom/errors.hpp"

#ifdef CHARLOOM_WITH_MPI
#include <mpi.h>
#endif

namespace charloom::dist {
namespace {

#ifdef CHARLOOM_WITH_MPI
// Launchers set these in every rank's environment: Open MPI's mpirun, and PMI/PMIx launchers
// (MPICH's hydra, Slurm's srun).
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

// Finalizes MPI when the process exits normally, after every rank has left training.
struct MpiSession {
  MpiSession() {
    int provided = 0;
    // SERIALIZED: the gradient reducer's thread calls MPI while the main thread computes, and
    // the main thread only calls MPI once the reducer has finished.
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
      throw Error("MPI_Init_thread failed; check the mpirun command line");
    if (provided < MPI_THREAD_SERIALIZED)
      throw Error("this MPI library cannot be called from a second thread (MPI_THREAD_SERIALIZED)");
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized == 0) MPI_Finalize();
  }
};

int as_count(std::size_t count) {
  if (count > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw Error("an MPI message of " + std::to_string(count) + " elements is beyond MPI's int count");
  return static_cast<int>(count);
}

void check(int result, const char* what) {
  if (result != MPI_SUCCESS) throw Error(std::string(what) + " failed");
}
#endif

}  // namespace

Communicator& Communicator::world() {
#ifdef CHARLOOM_WITH_MPI
  if (launched_by_mpi()) {
    static MpiSession mpi_session;
    static Communicator world = [] {
      int rank = 0, size = 1;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      MPI_Comm_size(MPI_COMM_WORLD, &size);
      return Communicator(rank, size);
    }();
    return world;
  }
#endif
  static Communicator alone(0, 1);
  return alone;
}

void Communicator::reduce(void* values, std::size_t count, Element element, bool maximum) {
  if (size_ == 1) return;
#ifdef CHARLOOM_WITH_MPI
  const MPI_Datatype type = element == Element::f32 ? MPI_FLOAT : element == Element::f64 ? MPI_DOUBLE : MPI_INT;
  check(MPI_Allreduce(MPI_IN_PLACE, values, as_count(count), type, maximum ? MPI_MAX : MPI_SUM, MPI_COMM_WORLD),
        "MPI_Allreduce");
#else
  (void)values, (void)count, (void)element, (void)maximum;
#endif
}

void Communicator::sum(float* values, std::size_t count) { reduce(values, count, Element::f32, false); }

void Communicator::sum(double* values, std::size_t count) { reduce(values, count, Element::f64, false); }

int Communicator::max(int value) {
  reduce(&value, 1, Element::i32, true);
  return value;
}

void Communicator::sum_sleeping(float* values, std::size_t count, int poll_microseconds) {
  if (size_ == 1) return;
#ifdef CHARLOOM_WITH_MPI
  MPI_Request request = MPI_REQUEST_NULL;
  check(MPI_Iallreduce(MPI_IN_PLACE, values, as_count(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request),
        "MPI_Iallreduce");
  int done = 0;
  while (true) {
    // Each test also moves the collective on, so the sleep must stay short.
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done != 0) return;
    std::this_thread::sleep_for(std::chrono::microseconds(poll_microseconds));
  }
#else
  (void)values, (void)count, (void)poll_microseconds;
#endif
}

void Communicator::broadcast(std::int64_t& value) {
  if (size_ == 1) return;
#ifdef CHARLOOM_WITH_MPI
  check(MPI_Bcast(&value, 1, MPI_INT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
#else
  (void)value;
#endif
}

void Communicator::broadcast(std::string& text) {
  if (size_ == 1) return;
#ifdef CHARLOOM_WITH_MPI
  std::int64_t length = static_cast<std::int64_t>(text.size());
  broadcast(length);
  text.resize(static_cast<std::size_t>(length));
  check(MPI_Bcast(text.data(), as_count(text.size()), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
#else
  (void)text;
#endif
}

void Communicator::gather(const float* mine, std::size_t count, float* all) {
  if (size_ == 1) {
    std::copy_n(mine, count, all);
    return;
  }
#ifdef CHARLOOM_WITH_MPI
  check(MPI_Gather(mine, as_count(count), MPI_FLOAT, all, as_count(count), MPI_FLOAT, 0, MPI_COMM_WORLD), "MPI_Gather");
#endif
}

void Communicator::end_job(int code) {
#ifdef CHARLOOM_WITH_MPI
  if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
#else
  (void)code;
#endif
}

}  // namespace charloom::dist

namespace charloom {

ProcessGroup process_group() {
  const dist::Communicator& world = dist::Communicator::world();
  return {world.rank(), world.size()};
}

void end_job(int code) { dist::Communicator::world().end_job(code); }

}  // namespace charloom
