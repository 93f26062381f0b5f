// Mean and percentiles of durations (latencies, waits), in milliseconds.
//
// A kiosk runs for weeks at 60 frames a second: a summary that kept every
// duration would grow by megabytes a day. DurationReservoir keeps the count
// and the sum exactly, so the mean is exact, and a uniform random sample of
// at most `capacity` durations (Vitter's algorithm R: the n-th duration
// replaces a random kept one with probability capacity/n), from which the
// percentiles are read. Up to `capacity` durations nothing is dropped and the
// percentiles are exact; beyond, a sample of 4096 puts p99 within a few
// tenths of a percentile of the truth.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace fencecam {

struct Distribution {
    size_t count = 0;
    double mean_ms = 0;
    double p50_ms = 0;
    double p99_ms = 0;
};

// Nearest-rank percentiles (always a value that was measured) of a set.
Distribution distribution(std::vector<int64_t> durations_ns);

class DurationReservoir {
  public:
    static constexpr size_t default_capacity = 4096;

    explicit DurationReservoir(size_t capacity = default_capacity)
        : capacity_(capacity) {}

    void add(int64_t duration_ns);
    // count and mean over every duration added; percentiles from the sample.
    Distribution distribution() const;
    uint64_t seen() const { return seen_; }
    size_t kept() const { return samples_.size(); }
    size_t capacity() const { return capacity_; }

  private:
    size_t capacity_;
    std::vector<int64_t> samples_;
    uint64_t seen_ = 0;
    long double sum_ns_ = 0;
    // A fixed seed: the same run summarises the same way every time.
    std::minstd_rand random_{0x5eed};
};

} // namespace fencecam
