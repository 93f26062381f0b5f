// One frame's record: when it was queued to the producer, when the producer
// signalled it ready (fence timestamp or DQBUF), when the compositor latched
// it, when the display showed it (the page flip), and whether it got there
// without a copy. Client surfaces get records too: their commit is the
// "queued" time and, with no producer timestamp to read, their "ready" time.
// Sources fill records in; FrameStats (frame_clock/) writes and sums them;
// the HUD draws them.
#pragma once

#include <cstdint>
#include <string>

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
    // it; -1 for clients, and for a frame its source stopped before DQBUF
    // returned it.
    int64_t v4l2_sequence = -1;
    // Latched before DQBUF numbered it (a fence signals first): the record
    // is written once the number comes, even if the frame is on screen
    // before.
    bool awaits_v4l2_sequence = false;
    // The producer failed this frame (V4L2_BUF_FLAG_ERROR, a fence signalled
    // with an error): it was never latched. Such records carry only the
    // source, mode and sequences, and count in no latency figure.
    bool error = false;
};

} // namespace fencecam
