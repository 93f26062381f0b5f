#include "frame_stats.hpp"

#include <cerrno>
#include <cstring>

#include "json_string.hpp"

namespace fencecam {

std::unique_ptr<FrameStats> FrameStats::create(const std::string &path, std::string &error) {
    std::unique_ptr<FrameStats> stats(new FrameStats());
    stats->path_ = path;
    if (!path.empty()) {
        stats->file_ = std::fopen(path.c_str(), "w");
        if (!stats->file_) {
            error = "cannot write --stats file " + path + ": " + std::strerror(errno);
            return nullptr;
        }
    }
    return stats;
}

bool FrameStats::reopen(std::string &error) {
    if (path_.empty()) {
        return true;
    }
    std::FILE *file = std::fopen(path_.c_str(), "a");
    if (!file) {
        error = "cannot reopen --stats file " + path_ + ": " + std::strerror(errno) +
                "; still writing the old one";
        return false;
    }
    std::fclose(file_);
    file_ = file;
    return true;
}

FrameStats::~FrameStats() {
    if (file_) {
        std::fclose(file_);
    }
}

std::string FrameStats::to_json(const FrameRecord &frame) {
    auto time = [](int64_t ns) { return ns < 0 ? std::string("null") : std::to_string(ns); };
    auto flag = [](bool value) { return std::string(value ? "true" : "false"); };
    return "{\"source\":" + json_string(frame.source) + ",\"mode\":" + json_string(frame.mode) +
           ",\"sequence\":" + std::to_string(frame.sequence) +
           ",\"v4l2_sequence\":" + time(frame.v4l2_sequence) +
           ",\"queued_ns\":" + time(frame.queued_ns) + ",\"ready_ns\":" + time(frame.ready_ns) +
           ",\"ready_from\":" + json_string(frame.ready_from) +
           ",\"latched_ns\":" + time(frame.latched_ns) +
           ",\"present_ns\":" + time(frame.present_ns) + ",\"zero_copy\":" + flag(frame.zero_copy) +
           ",\"cpu_copy\":" + flag(frame.cpu_copy) + ",\"stamp_ns\":" + time(frame.stamp_ns) +
           ",\"replaced\":" + flag(frame.replaced) + ",\"error\":" + flag(frame.error) + "}";
}

void FrameStats::record(const FrameRecord &frame) {
    if (frame.error) {
        // In the file, so that a test can check that no failed frame was
        // ever shown; out of every latency figure and the HUD.
        ++errors_;
        write(frame);
        return;
    }
    ++frames_;
    if (frame.present_ns >= 0) {
        ++presented_;
        zero_copy_ += frame.zero_copy;
        cpu_copies_ += frame.cpu_copy;
        ready_to_present_.add(frame.present_ns - frame.ready_ns);
    }
    replaced_ += frame.replaced;
    latch_wait_.add(frame.latched_ns - frame.ready_ns);
    write(frame);
    if (on_record_) {
        on_record_(frame);
    }
}

void FrameStats::write(const FrameRecord &frame) {
    if (file_) {
        std::fprintf(file_, "%s\n", to_json(frame).c_str());
        std::fflush(file_);
    }
}

std::string FrameStats::summary() const {
    Distribution present = ready_to_present_.distribution();
    Distribution latch = latch_wait_.distribution();
    char line[480];
    std::snprintf(
        line, sizeof line,
        "stats: %zu frames latched, %zu presented, %zu replaced by newer ones, %.0f%% zero-copy, "
        "%zu through a CPU copy; "
        "ready->present mean %.2f p50 %.2f p99 %.2f ms; "
        "latch wait mean %.3f p50 %.3f p99 %.3f ms",
        frames_, presented_, replaced_,
        presented_ ? 100.0 * double(zero_copy_) / double(presented_) : 0.0, cpu_copies_,
        present.mean_ms, present.p50_ms, present.p99_ms, latch.mean_ms, latch.p50_ms, latch.p99_ms);
    std::string text = line;
    if (latch_wait_.seen() > latch_wait_.kept()) {
        text += "; percentiles from a uniform sample of " + std::to_string(latch_wait_.kept()) +
                " frames";
    }
    return text;
}

} // namespace fencecam
