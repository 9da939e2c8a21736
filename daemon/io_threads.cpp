// Sizes cpprest's I/O thread pool (40 threads by default) once, before any request: the one
// cpprest detail the wiring has to know. Kept in its own translation unit so no other daemon
// file includes cpprest headers.
#include <pplx/threadpool.h>

#include <utility>  // boost asio in pplx misses it under C++20

#include "daemon.h"

namespace adu::daemon {

void InitializeIoThreads(size_t threads) {
  crossplat::threadpool::initialize_with_threads(threads);
}

}  // namespace adu::daemon
