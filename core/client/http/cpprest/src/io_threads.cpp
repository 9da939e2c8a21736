// Sizes cpprest's I/O thread pool (40 threads by default). Its own translation unit so that
// callers (the daemon's main, the tests' main) set it without compiling cpprest headers.
// clang-format off
#include <utility>  // must precede pplx: boost asio uses std::exchange without including it
#include <pplx/threadpool.h>
// clang-format on

#include "adu/client/cpprest_http_client.h"

namespace adu::client {

void InitializeCpprestIoThreads(size_t threads) {
  crossplat::threadpool::initialize_with_threads(threads);
}

}  // namespace adu::client
