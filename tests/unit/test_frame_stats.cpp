#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "frame_stats.hpp"

using namespace fencecam;

TEST(FrameStats, DistributionUsesNearestRank) {
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

TEST(FrameStats, DistributionOfOneAndOfNone) {
    EXPECT_EQ(distribution({}).count, 0u);
    Distribution one = distribution({2'500'000});
    EXPECT_DOUBLE_EQ(one.p50_ms, 2.5);
    EXPECT_DOUBLE_EQ(one.p99_ms, 2.5);
}

TEST(FrameStats, RecordIsOneJsonLine) {
    FrameRecord frame;
    frame.mode = "fence";
    frame.sequence = 7;
    frame.queued_ns = 100;
    frame.ready_ns = 200;
    frame.ready_from = "fence";
    frame.latched_ns = 250;
    frame.present_ns = -1;
    frame.zero_copy = false;
    frame.stamp_ns = 190;
    EXPECT_EQ(FrameStats::to_json(frame),
              "{\"source\":\"camera\",\"mode\":\"fence\",\"sequence\":7,\"queued_ns\":100,"
              "\"ready_ns\":200,\"ready_from\":\"fence\",\"latched_ns\":250,\"present_ns\":null,"
              "\"zero_copy\":false,"
              "\"stamp_ns\":190,\"replaced\":false}");
}

TEST(FrameStats, FileGetsALineAFrameAndSummaryCountsPresentedOnly) {
    std::string path = ::testing::TempDir() + "fencecam-stats.jsonl";
    std::string error;
    {
        auto stats = FrameStats::create(path, error);
        ASSERT_TRUE(stats) << error;
        FrameRecord shown{"camera", "dqbuf", 1, 0, 1'000'000, 1'500'000, 11'000'000, true};
        FrameRecord dropped{"camera", "dqbuf", 2, 0, 2'000'000, 2'100'000, -1, false};
        stats->record(shown);
        stats->record(dropped);
        std::string summary = stats->summary();
        EXPECT_NE(summary.find("2 frames latched, 1 presented, 0 replaced by newer ones, 100% "
                               "zero-copy"),
                  std::string::npos)
            << summary;
        EXPECT_NE(summary.find("ready->present mean 10.00"), std::string::npos) << summary;
    }
    std::ifstream file(path);
    std::string line;
    int lines = 0;
    while (std::getline(file, line)) {
        EXPECT_EQ(line.front(), '{');
        ++lines;
    }
    EXPECT_EQ(lines, 2);
    std::remove(path.c_str());
}

TEST(FrameStats, UnwritablePathIsOneLine) {
    std::string error;
    EXPECT_FALSE(FrameStats::create("/nonexistent/dir/stats.jsonl", error));
    EXPECT_EQ(error,
              "cannot write --stats file /nonexistent/dir/stats.jsonl: No such file or directory");
}
