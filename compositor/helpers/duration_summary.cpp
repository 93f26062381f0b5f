#include "duration_summary.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fencecam {

Distribution distribution(std::vector<int64_t> durations_ns) {
    Distribution result;
    result.count = durations_ns.size();
    if (durations_ns.empty()) {
        return result;
    }
    std::sort(durations_ns.begin(), durations_ns.end());
    double sum = std::accumulate(durations_ns.begin(), durations_ns.end(), 0.0);
    auto percentile = [&](double p) {
        size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * double(durations_ns.size())));
        return double(durations_ns[std::max<size_t>(rank, 1) - 1]) / 1e6;
    };
    result.mean_ms = sum / double(durations_ns.size()) / 1e6;
    result.p50_ms = percentile(50);
    result.p99_ms = percentile(99);
    return result;
}

void DurationReservoir::add(int64_t duration_ns) {
    ++seen_;
    sum_ns_ += duration_ns;
    if (samples_.size() < capacity_) {
        samples_.push_back(duration_ns);
        return;
    }
    // Keep the new one with probability capacity/seen, in place of a
    // uniformly chosen kept one: every duration so far is equally likely to
    // be in the sample.
    std::uniform_int_distribution<uint64_t> pick(0, seen_ - 1);
    uint64_t slot = pick(random_);
    if (slot < capacity_) {
        samples_[slot] = duration_ns;
    }
}

Distribution DurationReservoir::distribution() const {
    Distribution result = fencecam::distribution(samples_);
    result.count = seen_;
    result.mean_ms = seen_ ? double(sum_ns_ / static_cast<long double>(seen_)) / 1e6 : 0;
    return result;
}

} // namespace fencecam
