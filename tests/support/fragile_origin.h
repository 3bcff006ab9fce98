// A fragile origin: a handler for a ScriptedOrigin that serves up to `capacity` requests at
// once, each taking `work`, and answers 500 to any request beyond that, as a legacy API that
// falls over under concurrency does. It counts what it saw, so a test can prove that etagd
// never asked it for more than it can take.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>

#include "support/scripted_origin.h"

namespace etagd::testing {

class FragileOrigin {
 public:
  FragileOrigin(size_t capacity, std::chrono::milliseconds work);

  // The handler to route; it shares the counters with this object (the object may go first).
  OriginHandler handler() const;

  size_t served() const { return counters_->served.load(); }
  size_t failed() const { return counters_->failed.load(); }  // answered 500: over capacity
  size_t peak() const { return counters_->peak.load(); }      // most requests at once

 private:
  struct Counters {
    std::atomic<size_t> in_flight{0};
    std::atomic<size_t> peak{0};
    std::atomic<size_t> served{0};
    std::atomic<size_t> failed{0};
  };
  size_t capacity_;
  std::chrono::milliseconds work_;
  std::shared_ptr<Counters> counters_;
};

}  // namespace etagd::testing
