#include <gtest/gtest.h>

#include <vector>

#include "duration_summary.hpp"

using namespace fencecam;

TEST(DurationSummary, DistributionUsesNearestRank) {
    std::vector<int64_t> durations;
    for (int ms = 1; ms <= 100; ++ms) {
        durations.push_back(int64_t(ms) * 1'000'000);
    }
    Distribution d = distribution(durations);
    EXPECT_EQ(d.count, 100u);
    EXPECT_DOUBLE_EQ(d.mean_ms, 50.5);
    EXPECT_DOUBLE_EQ(d.p50_ms, 50);
    EXPECT_DOUBLE_EQ(d.p99_ms, 99);
}

TEST(DurationSummary, DistributionOfOneAndOfNone) {
    EXPECT_EQ(distribution({}).count, 0u);
    Distribution one = distribution({2'500'000});
    EXPECT_DOUBLE_EQ(one.p50_ms, 2.5);
    EXPECT_DOUBLE_EQ(one.p99_ms, 2.5);
}

TEST(DurationSummary, ReservoirIsExactUpToItsCapacity) {
    DurationReservoir reservoir(100);
    std::vector<int64_t> all;
    for (int ms = 100; ms >= 1; --ms) {
        reservoir.add(int64_t(ms) * 1'000'000);
        all.push_back(int64_t(ms) * 1'000'000);
    }
    Distribution sampled = reservoir.distribution();
    Distribution exact = distribution(all);
    EXPECT_EQ(sampled.count, 100u);
    EXPECT_DOUBLE_EQ(sampled.mean_ms, exact.mean_ms);
    EXPECT_DOUBLE_EQ(sampled.p50_ms, exact.p50_ms);
    EXPECT_DOUBLE_EQ(sampled.p99_ms, exact.p99_ms);
}

TEST(DurationSummary, ReservoirMemoryIsBoundedAndItsEstimateUnbiased) {
    // A million durations in ascending order: a sampler that kept the first
    // or the last ones would be far off here.
    DurationReservoir reservoir;
    const int n = 1'000'000;
    for (int i = 1; i <= n; ++i) {
        reservoir.add(int64_t(i) * 1000);
    }
    EXPECT_EQ(reservoir.kept(), DurationReservoir::default_capacity);
    EXPECT_EQ(reservoir.seen(), uint64_t(n));
    Distribution d = reservoir.distribution();
    EXPECT_EQ(d.count, size_t(n));
    // The mean is over every duration, exactly: (n + 1) / 2 microseconds.
    EXPECT_NEAR(d.mean_ms, 500.0005, 1e-6);
    // True p50 500 ms, p99 990 ms; a 4096 sample is within about 1.5% and
    // 0.3% of them (three standard errors).
    EXPECT_NEAR(d.p50_ms, 500, 25);
    EXPECT_NEAR(d.p99_ms, 990, 5);
}

TEST(DurationSummary, EmptyReservoir) {
    Distribution d = DurationReservoir().distribution();
    EXPECT_EQ(d.count, 0u);
    EXPECT_EQ(d.mean_ms, 0);
}
