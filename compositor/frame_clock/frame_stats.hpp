// Per-frame latency records (frame_record.hpp) and their summary.
//
// `--stats FILE` writes one JSON line a record, which tools/plot-stats turns
// into pictures; the summary goes to the log at exit and on SIGUSR1.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "duration_summary.hpp"
#include "frame_record.hpp"

namespace fencecam {

class FrameStats {
  public:
    // Without a path, records are only summarised.
    static std::unique_ptr<FrameStats> create(const std::string &path, std::string &error);
    // Starts a new file at the same path (appending if one is there), for
    // log rotation: the old one was moved away and is closed. On failure
    // records keep going to the old one.
    bool reopen(std::string &error);
    ~FrameStats();

    void record(const FrameRecord &frame);
    // Also called with every record (the HUD draws the latest ones).
    void set_record_handler(std::function<void(const FrameRecord &)> handler) {
        on_record_ = std::move(handler);
    }
    std::string summary() const;
    size_t frames() const { return frames_; }
    size_t errors() const { return errors_; }

    static std::string to_json(const FrameRecord &frame);

  private:
    FrameStats() = default;
    void write(const FrameRecord &frame);

    std::string path_;
    std::FILE *file_ = nullptr;
    std::function<void(const FrameRecord &)> on_record_;
    size_t frames_ = 0;
    size_t errors_ = 0;
    size_t presented_ = 0;
    size_t replaced_ = 0;
    size_t zero_copy_ = 0;
    size_t cpu_copies_ = 0;
    // Bounded: a summary after weeks costs what one after minutes does.
    DurationReservoir ready_to_present_;
    DurationReservoir latch_wait_;
};

} // namespace fencecam
