#include "latency_summary.hpp"

#include <cstdio>

#include "duration_summary.hpp"

namespace fencecam::client {

std::string LatencySummary::line(const std::string &reference) const {
    // The same mean and nearest-rank percentiles as the compositor's stats,
    // so the two reports can be compared.
    Distribution latency = latencies_.distribution();
    char text[256];
    std::snprintf(text, sizeof text,
                  "%zu frames presented (%llu zero-copy), %llu discarded; %s-to-present latency "
                  "mean %.1f ms, p50 %.1f ms, p99 %.1f ms",
                  latency.count, static_cast<unsigned long long>(zero_copy_),
                  static_cast<unsigned long long>(discarded_), reference.c_str(), latency.mean_ms,
                  latency.p50_ms, latency.p99_ms);
    return text;
}

} // namespace fencecam::client
