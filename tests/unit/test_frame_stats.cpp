#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "frame_stats.hpp"

using namespace fencecam;

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
    frame.v4l2_sequence = 41;
    EXPECT_EQ(FrameStats::to_json(frame),
              "{\"source\":\"camera\",\"mode\":\"fence\",\"sequence\":7,\"v4l2_sequence\":41,"
              "\"queued_ns\":100,\"ready_ns\":200,\"ready_from\":\"fence\",\"latched_ns\":250,"
              "\"present_ns\":null,\"zero_copy\":false,\"cpu_copy\":false,\"stamp_ns\":190,"
              "\"replaced\":false,\"error\":false}");
}

// A failed frame is in the file (a test compares its sequence with the shown
// ones) but in no latency figure.
TEST(FrameStats, ErroredFrameIsWrittenButNotCounted) {
    std::string path = ::testing::TempDir() + "fencecam-stats-errors.jsonl";
    std::string error;
    {
        auto stats = FrameStats::create(path, error);
        ASSERT_TRUE(stats) << error;
        int handled = 0;
        stats->set_record_handler([&](const FrameRecord &) { ++handled; });
        FrameRecord failed;
        failed.mode = "fence";
        failed.v4l2_sequence = 12;
        failed.error = true;
        stats->record(failed);
        EXPECT_EQ(stats->frames(), 0u);
        EXPECT_EQ(stats->errors(), 1u);
        EXPECT_EQ(handled, 0) << "the HUD draws latencies: a failed frame has none";
        EXPECT_NE(stats->summary().find("0 frames latched"), std::string::npos);
    }
    std::ifstream file(path);
    std::string line;
    ASSERT_TRUE(std::getline(file, line));
    EXPECT_NE(line.find("\"v4l2_sequence\":12"), std::string::npos) << line;
    EXPECT_NE(line.find("\"error\":true"), std::string::npos) << line;
    EXPECT_NE(line.find("\"latched_ns\":null"), std::string::npos) << line;
    std::remove(path.c_str());
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

TEST(FrameStats, SummaryCountsPresentedCpuCopies) {
    std::string error;
    auto stats = FrameStats::create("", error);
    ASSERT_TRUE(stats) << error;
    FrameRecord copied{"client x", "implicit", 1, 0, 1'000'000, 1'500'000, 11'000'000, false};
    copied.cpu_copy = true;
    FrameRecord scanned_out{"client x", "implicit", 2, 0, 2'000'000, 2'500'000, 12'000'000, true};
    FrameRecord never_shown = copied;
    never_shown.present_ns = -1;
    stats->record(copied);
    stats->record(scanned_out);
    stats->record(never_shown);
    const std::string summary = stats->summary();
    EXPECT_NE(summary.find("2 presented, 0 replaced by newer ones, 50% zero-copy, 1 through a "
                           "CPU copy;"),
              std::string::npos)
        << summary;
    EXPECT_NE(FrameStats::to_json(copied).find("\"cpu_copy\":true"), std::string::npos);
}

TEST(FrameStats, UnwritablePathIsOneLine) {
    std::string error;
    EXPECT_FALSE(FrameStats::create("/nonexistent/dir/stats.jsonl", error));
    EXPECT_EQ(error,
              "cannot write --stats file /nonexistent/dir/stats.jsonl: No such file or directory");
}

TEST(FrameStats, HostileSourceStaysOneJsonString) {
    FrameRecord frame;
    frame.source = "client a\"b\\c\nd (pid 7)";
    const std::string json = FrameStats::to_json(frame);
    EXPECT_NE(json.find("\"source\":\"client a\\\"b\\\\c\\nd (pid 7)\",\"mode\""),
              std::string::npos)
        << json;
    EXPECT_EQ(json.find('\n'), std::string::npos);
}

TEST(FrameStats, ReopenStartsANewFileAtThePath) {
    std::string path = ::testing::TempDir() + "fencecam-rotated.jsonl";
    std::string rotated = path + ".1";
    std::string error;
    auto stats = FrameStats::create(path, error);
    ASSERT_TRUE(stats) << error;
    FrameRecord frame{"camera", "dqbuf", 1, 0, 1'000'000, 1'500'000, 11'000'000, true};
    stats->record(frame);
    ASSERT_EQ(std::rename(path.c_str(), rotated.c_str()), 0);
    ASSERT_TRUE(stats->reopen(error)) << error;
    frame.sequence = 2;
    stats->record(frame);
    auto lines = [](const std::string &file) {
        std::ifstream in(file);
        std::string line, all;
        while (std::getline(in, line)) {
            all += line.substr(0, line.find(",\"v4l2_sequence\"")) + "|";
        }
        return all;
    };
    EXPECT_EQ(lines(rotated), "{\"source\":\"camera\",\"mode\":\"dqbuf\",\"sequence\":1|");
    EXPECT_EQ(lines(path), "{\"source\":\"camera\",\"mode\":\"dqbuf\",\"sequence\":2|");
    std::remove(path.c_str());
    std::remove(rotated.c_str());
}

TEST(FrameStats, SummarySaysWhenItSamples) {
    std::string error;
    auto stats = FrameStats::create("", error);
    FrameRecord frame{"camera", "dqbuf", 1, 0, 1'000'000, 1'500'000, 11'000'000, true};
    for (size_t i = 0; i < DurationReservoir::default_capacity; ++i) {
        stats->record(frame);
    }
    EXPECT_EQ(stats->summary().find("sample"), std::string::npos) << stats->summary();
    stats->record(frame);
    EXPECT_NE(stats->summary().find("; percentiles from a uniform sample of 4096 frames"),
              std::string::npos)
        << stats->summary();
}
