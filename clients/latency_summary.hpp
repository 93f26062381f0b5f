// The client's own report: how many frames reached the screen, how many of
// them without a copy (the compositor's ZERO_COPY presentation flag), and
// how long each took from capture to light, from wp_presentation feedback.
#pragma once

#include <cstdint>
#include <string>

#include "duration_summary.hpp"

namespace fencecam::client {

class LatencySummary {
  public:
    void presented(int64_t capture_ns, int64_t present_ns, bool zero_copy) {
        latencies_.add(present_ns - capture_ns);
        zero_copy_ += zero_copy;
    }
    void discarded() { ++discarded_; }
    size_t presented_count() const { return latencies_.seen(); }

    // "300 frames presented (300 zero-copy), 2 discarded; DQBUF-to-present
    // latency mean 12.1 ms, p50 11.9 ms, p99 19.8 ms". `reference` names the
    // capture time.
    std::string line(const std::string &reference) const;

  private:
    // Bounded, for a client that runs as long as its kiosk.
    DurationReservoir latencies_;
    uint64_t zero_copy_ = 0;
    uint64_t discarded_ = 0;
};

} // namespace fencecam::client
