// emulator-loadgen: N keep-alive connections, each on its own thread, send GETs of generated
// operations (conditional, like the daemon) as fast as the emulator answers; prints requests/s.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "raw_http.h"

int main(int argc, char** argv) {
  int port = 0, connections = 4, requests = 100000, ids = 1000;
  std::string prefix = "op", instance = "bench";
  bool conditional = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--port")
      port = std::atoi(v);
    else if (a == "--connections")
      connections = std::atoi(v);
    else if (a == "--requests")
      requests = std::atoi(v);
    else if (a == "--ids")
      ids = std::atoi(v);
    else if (a == "--prefix")
      prefix = v;
    else if (a == "--instance")
      instance = v;
    else if (a == "--conditional")
      conditional = std::atoi(v) != 0;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (port <= 0 || connections <= 0 || requests <= 0 || ids <= 0) {
    std::fprintf(stderr,
                 "usage: emulator-loadgen --port N [--connections C] [--requests M] [--ids K] "
                 "[--prefix op] [--instance bench] [--conditional 1]\n");
    return 2;
  }
  std::atomic<long> ok{0}, not_modified{0}, other{0}, failed{0};
  const auto per_conn = requests / connections;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      adu::emulator::testing::RawConnection conn(static_cast<std::uint16_t>(port));
      std::vector<std::string> etags(static_cast<std::size_t>(ids));
      for (int i = 0; i < per_conn; ++i) {
        const int id = (i * connections + c) % ids;
        const std::string target = "/deviceUpdate/" + instance + "/management/operations/" +
                                   prefix + "-" + std::to_string(id) + "?api-version=2022-10-01";
        adu::emulator::testing::Headers h;
        auto& etag = etags[static_cast<std::size_t>(id)];
        if (conditional && !etag.empty()) h.emplace_back("If-None-Match", etag);
        const auto r = conn.Request("GET", target, h);
        if (!r.error.empty()) {
          ++failed;
          return;
        }
        if (r.status == 200) {
          ++ok;
          if (auto e = r.Header("ETag")) etag = *e;
        } else if (r.status == 304) {
          ++not_modified;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long total = ok + not_modified + other;
  std::printf(
      "requests=%ld seconds=%.3f rps=%.0f ok=%ld not_modified=%ld other=%ld "
      "failed_connections=%ld\n",
      total, secs, total / secs, ok.load(), not_modified.load(), other.load(), failed.load());
  return failed > 0 || other > 0 ? 1 : 0;
}
