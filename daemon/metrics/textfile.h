// metrics.textfile: the same series in a file for node_exporter's textfile collector, written
// atomically (a temporary file in the same directory, then rename) every period and at Stop().
//
// The file is made 0644 whatever the daemon's umask: node_exporter runs as another user.
//
// Thread-safety: Start/Stop/WriteNow from one thread (the daemon's main thread); the periodic
// writes run on the writer's own thread.
#pragma once

#include <prometheus/collectable.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "adu/core/domain.h"
#include "adu/core/result.h"

namespace spdlog {
class logger;
}

namespace adu::metrics {

class TextfileWriter {
 public:
  // Whether files can be created next to `path`: the directory exists and this process may
  // create a file in it (tried for real, so read-only mounts and sandboxes count). The error
  // names the directory and why, without a key path.
  static Status CheckDirectory(const std::string& path);

  TextfileWriter(std::string path, std::shared_ptr<prometheus::Collectable> source, Duration period,
                 std::shared_ptr<spdlog::logger> logger);
  ~TextfileWriter();  // Stop()s

  void Start();
  // Ends the thread, then writes the file one last time.
  void Stop();
  Status WriteNow();

  const std::string& path() const { return path_; }

 private:
  void Loop();

  std::string path_;
  std::shared_ptr<prometheus::Collectable> source_;
  Duration period_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool failing_ = false;  // a failure is logged once per streak
  std::thread thread_;
};

}  // namespace adu::metrics
