// Counts calls to the global operator new in this test program, to prove hot loops allocate nothing.
#pragma once

#include <cstddef>

namespace charloom::testing {

std::size_t allocation_count();

}  // namespace charloom::testing
