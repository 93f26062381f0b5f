// Per-frame latency records and their summary.
//
// One record a frame: when it was queued to the producer, when the producer
// signalled it ready (fence timestamp or DQBUF), when the compositor latched
// it, when the display showed it (the page flip), and whether it got there
// without a copy. Client surfaces get records too: their commit is the
// "queued" time and, with no producer timestamp to read, their "ready" time. `--stats FILE` writes
// them as JSON lines, which tools/plot-stats turns into pictures; the summary goes to the log at
// exit and on SIGUSR1.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "duration_summary.hpp"

namespace fencecam {

struct FrameRecord {
    std::string source = "camera";
    std::string mode; // sync mode: fence, dqbuf, explicit
    uint64_t sequence = 0;
    int64_t queued_ns = -1;
    int64_t ready_ns = -1;
    int64_t latched_ns = -1;
    int64_t present_ns = -1; // -1: never presented
    bool zero_copy = false;  // scanned out as it is, no composition
    // Shown through a CPU copy of its pixels: a read-only client dma-buf
    // that a software renderer had to composite (readonly_buffer_guard.hpp).
    bool cpu_copy = false;
    // Never presented because a newer frame took its place before any
    // output commit sampled it: the display showed something fresher, so
    // this is not a loss.
    bool replaced = false;
    // Benchmarks (--completion-stamps): the completion time the test camera
    // wrote into the frame, one clock for every pipeline compared.
    int64_t stamp_ns = -1;
    // What ready_ns is: "fence" (its signal timestamp), "dqbuf", "learnt"
    // (when a fence without a timestamp was seen signalled), "commit".
    std::string ready_from = {};
    // The driver's own frame counter (V4L2 `sequence`), once DQBUF has told
    // it; -1 for clients, and for a frame finished before DQBUF returned it.
    int64_t v4l2_sequence = -1;
    // The producer failed this frame (V4L2_BUF_FLAG_ERROR, a fence signalled
    // with an error): it was never latched. Such records carry only the
    // source, mode and sequences, and count in no latency figure.
    bool error = false;
};

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
