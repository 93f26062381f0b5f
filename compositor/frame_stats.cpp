#include "frame_stats.hpp"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstring>
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
    // Nearest-rank percentiles: always a value that was measured.
    auto percentile = [&](double p) {
        size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * double(durations_ns.size())));
        return double(durations_ns[std::max<size_t>(rank, 1) - 1]) / 1e6;
    };
    result.mean_ms = sum / double(durations_ns.size()) / 1e6;
    result.p50_ms = percentile(50);
    result.p99_ms = percentile(99);
    return result;
}

std::unique_ptr<FrameStats> FrameStats::create(const std::string &path, std::string &error) {
    std::unique_ptr<FrameStats> stats(new FrameStats());
    if (!path.empty()) {
        stats->file_ = std::fopen(path.c_str(), "w");
        if (!stats->file_) {
            error = "cannot write --stats file " + path + ": " + std::strerror(errno);
            return nullptr;
        }
    }
    return stats;
}

FrameStats::~FrameStats() {
    if (file_) {
        std::fclose(file_);
    }
}

std::string FrameStats::to_json(const FrameRecord &frame) {
    auto time = [](int64_t ns) { return ns < 0 ? std::string("null") : std::to_string(ns); };
    char line[512];
    std::snprintf(line, sizeof line,
                  "{\"source\":\"%s\",\"mode\":\"%s\",\"sequence\":%" PRIu64
                  ",\"queued_ns\":%s,\"ready_ns\":%s,\"ready_from\":\"%s\",\"latched_ns\":%s,"
                  "\"present_ns\":%s,"
                  "\"zero_copy\":%s,\"stamp_ns\":%s,\"replaced\":%s}",
                  frame.source.c_str(), frame.mode.c_str(), frame.sequence,
                  time(frame.queued_ns).c_str(), time(frame.ready_ns).c_str(),
                  frame.ready_from.c_str(), time(frame.latched_ns).c_str(),
                  time(frame.present_ns).c_str(), frame.zero_copy ? "true" : "false",
                  time(frame.stamp_ns).c_str(), frame.replaced ? "true" : "false");
    return line;
}

void FrameStats::record(const FrameRecord &frame) {
    ++frames_;
    if (frame.present_ns >= 0) {
        ++presented_;
        zero_copy_ += frame.zero_copy;
        ready_to_present_ns_.push_back(frame.present_ns - frame.ready_ns);
    }
    replaced_ += frame.replaced;
    latch_wait_ns_.push_back(frame.latched_ns - frame.ready_ns);
    if (file_) {
        std::fprintf(file_, "%s\n", to_json(frame).c_str());
        std::fflush(file_);
    }
    if (on_record_) {
        on_record_(frame);
    }
}

std::string FrameStats::summary() const {
    Distribution present = distribution(ready_to_present_ns_);
    Distribution latch = distribution(latch_wait_ns_);
    char line[480];
    std::snprintf(
        line, sizeof line,
        "stats: %zu frames latched, %zu presented, %zu replaced by newer ones, %.0f%% zero-copy; "
        "ready->present mean %.2f p50 %.2f p99 %.2f ms; "
        "latch wait mean %.3f p50 %.3f p99 %.3f ms",
        frames_, presented_, replaced_,
        presented_ ? 100.0 * double(zero_copy_) / double(presented_) : 0.0, present.mean_ms,
        present.p50_ms, present.p99_ms, latch.mean_ms, latch.p50_ms, latch.p99_ms);
    return line;
}

} // namespace fencecam
