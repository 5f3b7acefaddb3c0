// The processes of a data-parallel training run, and the few collectives training needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace charloom::dist {

// One rank of the job. Under mpirun (in a build with MPI) this is MPI_COMM_WORLD; otherwise
// the job is this one process and every collective is the identity, so single-process training
// runs exactly the code it always did.
class Communicator {
 public:
  // The job this process belongs to. MPI starts on the first call, and only when a launcher
  // (mpirun) started the process: a plain run never touches MPI.
  static Communicator& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }

  // In place: every rank ends with the element-wise sum over ranks.
  void sum(float* values, std::size_t count);
  // The same, for a thread that runs beside compute: MPI's blocking calls spin on a core while
  // they wait for the network, taking it from the compute threads. This one starts the
  // allreduce and checks on it every `poll_microseconds`, sleeping in between.
  void sum_sleeping(float* values, std::size_t count, int poll_microseconds = 500);
  void sum(double* values, std::size_t count);
  // Every rank ends with the largest `value` any rank gave.
  int max(int value);
  // Every rank ends with rank 0's value.
  void broadcast(std::int64_t& value);
  void broadcast(std::string& text);
  // Rank 0 receives each rank's `count` floats, in rank order, into `all` (size() * count);
  // `all` is ignored elsewhere.
  void gather(const float* mine, std::size_t count, float* all);
  // Stops every rank of the job with `code` (MPI_Abort); a rank that fails alone must not leave
  // the others waiting in a collective for ever. Returns only if MPI could not.
  void end_job(int code);

 private:
  Communicator(int rank, int size) : rank_(rank), size_(size) {}
  enum class Element { f32, f64, i32 };
  // The one in-place allreduce behind sum() and max().
  void reduce(void* values, std::size_t count, Element element, bool maximum);
  int rank_, size_;
};

}  // namespace charloom::dist
