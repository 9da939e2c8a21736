// adu-emulator: serve a Device Update scenario on 127.0.0.1 until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "adu/emulator/emulator.h"

namespace {

constexpr const char* kUsage =
    "usage: adu-emulator --scenario FILE [--port N] [--port-file PATH] [--threads N] "
    "[--time-scale X]\n"
    "\n"
    "Serves the Device Update operation-status API (and token endpoints) from a scenario file on\n"
    "127.0.0.1, for tests, the demo and benchmarks. See docs/emulator.md.\n"
    "\n"
    "  --scenario FILE   scenario YAML (required)\n"
    "  --port N          port to listen on; 0 (default) picks a free one\n"
    "  --port-file PATH  write the chosen port to PATH once listening\n"
    "  --threads N       I/O threads (default 1)\n"
    "  --time-scale X    scenario seconds pass X times faster (default 1); timelines and churn\n"
    "                    only, rate limits and fault delays stay in real seconds\n"
    "  --help            this text\n"
    "\n"
    "Prints \"listening on 127.0.0.1:PORT\" once ready; stops cleanly on SIGINT or SIGTERM.\n";

bool ParseNumber(const char* text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text, &end);
  return end && *end == '\0' && end != text;
}

}  // namespace

int main(int argc, char** argv) {
  std::string scenario_path, port_file;
  adu::emulator::EmulatorOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "adu-emulator: unknown or incomplete argument '" << arg << "'\n" << kUsage;
      return 2;
    }
    const char* value = argv[++i];
    double number = 0;
    if (arg == "--scenario") {
      scenario_path = value;
    } else if (arg == "--port-file") {
      port_file = value;
    } else if (arg == "--port" && ParseNumber(value, &number) && number >= 0 && number <= 65535) {
      options.port = static_cast<std::uint16_t>(number);
    } else if (arg == "--threads" && ParseNumber(value, &number) && number >= 1 && number <= 64) {
      options.threads = static_cast<int>(number);
    } else if (arg == "--time-scale" && ParseNumber(value, &number) && number > 0) {
      options.time_scale = number;
    } else {
      std::cerr << "adu-emulator: bad argument '" << arg << " " << value << "'\n" << kUsage;
      return 2;
    }
  }
  if (scenario_path.empty()) {
    std::cerr << "adu-emulator: --scenario is required\n" << kUsage;
    return 2;
  }
  auto scenario = adu::emulator::LoadScenarioFile(scenario_path);
  if (!scenario) {
    std::cerr << "adu-emulator: " << scenario.error() << "\n";
    return 2;
  }

  // Block the stop signals before any thread starts so only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto emulator = adu::emulator::Emulator::Start(std::move(scenario).value(), options);
  if (!emulator) {
    std::cerr << "adu-emulator: " << emulator.error() << "\n";
    return 1;
  }
  const auto port = (*emulator)->port();
  if (!port_file.empty()) {
    // Write then rename, so a reader polling for the file never sees it half-written.
    const std::string tmp = port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << port << "\n";
      if (!out) {
        std::cerr << "adu-emulator: cannot write " << tmp << "\n";
        return 1;
      }
    }
    if (std::rename(tmp.c_str(), port_file.c_str()) != 0) {
      std::cerr << "adu-emulator: cannot rename " << tmp << ": " << std::strerror(errno) << "\n";
      return 1;
    }
  }
  std::cout << "listening on 127.0.0.1:" << port << std::endl;

  int received = 0;
  sigwait(&signals, &received);
  (*emulator)->Stop();
  std::cerr << "adu-emulator: stopped on signal " << received << "\n";
  return 0;
}
