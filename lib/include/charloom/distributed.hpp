// The processes of a data-parallel training job (mpirun), for the program that runs them.
#pragma once

namespace charloom {

struct ProcessGroup {
  int rank = 0;  // this process; rank 0 writes the model and reports
  int size = 1;  // 1 in a plain run
};

// This job's processes. Under mpirun (in a build with MPI) the first call starts MPI.
ProcessGroup process_group();

// Ends every process of the job with `code`, so that a process that fails alone does not
// leave the others waiting in a collective. Call it only after an error in a job of more
// than one process; it returns only when MPI could not end the job.
void end_job(int code);

}  // namespace charloom
