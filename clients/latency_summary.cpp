#include "latency_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace fencecam::client {

std::string LatencySummary::line(const std::string &reference) const {
    char text[256];
    if (latencies_ns_.empty()) {
        std::snprintf(text, sizeof text, "0 frames presented, %llu discarded",
                      static_cast<unsigned long long>(discarded_));
        return text;
    }
    std::vector<int64_t> sorted = latencies_ns_;
    std::sort(sorted.begin(), sorted.end());
    // Nearest-rank percentiles: an actual frame's latency, never an average.
    const auto percentile = [&sorted](double p) {
        const size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()));
        return static_cast<double>(sorted[std::min(rank, sorted.size() - 1)]) / 1e6;
    };
    const double mean =
        static_cast<double>(std::accumulate(sorted.begin(), sorted.end(), int64_t{0})) /
        static_cast<double>(sorted.size()) / 1e6;
    std::snprintf(text, sizeof text,
                  "%zu frames presented, %llu discarded; %s-to-present latency mean %.1f ms, "
                  "p50 %.1f ms, p99 %.1f ms",
                  sorted.size(), static_cast<unsigned long long>(discarded_), reference.c_str(),
                  mean, percentile(50), percentile(99));
    return text;
}

} // namespace fencecam::client
