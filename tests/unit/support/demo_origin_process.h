// The built etagd-demo-origin, started on a free port for one test.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/child_process.h"
#include "support/free_port.h"
#include "support/socket_stream.h"

namespace etagd::testing {

#ifdef ETAGD_DEMO_ORIGIN
inline constexpr const char* kDemoOriginPath = ETAGD_DEMO_ORIGIN;
#else
inline constexpr const char* kDemoOriginPath = "";
#endif

class DemoOriginProcess {
 public:
  explicit DemoOriginProcess(std::string output_path = "")
      : port_(free_port()), process_(start(port_, std::move(output_path))) {
    for (int i = 0; i < 250; ++i) {  // 5s at most
      if (accepts_connections("127.0.0.1", port_)) return;
      if (!process_.running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("etagd-demo-origin did not start on port " + std::to_string(port_));
  }

  uint16_t port() const { return port_; }
  ChildProcess& process() { return process_; }

 private:
  static ChildProcess start(uint16_t port, std::string output_path) {
    ChildProcess::Options options;
    options.output_path = std::move(output_path);
    return ChildProcess({kDemoOriginPath, "--listen", "127.0.0.1:" + std::to_string(port)},
                        options);
  }

  uint16_t port_;
  ChildProcess process_;
};

}  // namespace etagd::testing
