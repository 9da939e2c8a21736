// Sizes cpprest's I/O thread pool (40 threads by default) once, before any request: the one
// cpprest detail the wiring has to know. Kept in its own translation unit so no other daemon
// file includes cpprest headers.
// clang-format off
#include <utility>  // must precede pplx: boost asio uses std::exchange without including it
#include <pplx/threadpool.h>
// clang-format on

#include "daemon.h"

namespace adu::daemon {

void InitializeIoThreads(size_t threads) {
  crossplat::threadpool::initialize_with_threads(threads);
}

}  // namespace adu::daemon
