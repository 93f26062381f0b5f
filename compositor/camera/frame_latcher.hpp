// The frame latcher: decides when a camera buffer may be shown, and when it
// may go back to the camera.
//
// Each buffer ("slot") cycles through
//
//     queued --(fence signals / DQBUF)--> ready --> latched --> on screen
//        ^                                                         |
//        +---- requeue <-- released (the scene stopped reading) <--+
//
// and the latcher enforces five rules:
//  1. A slot is latched only once its completion is proved: its fence has
//     signalled (fence mode) or DQBUF returned it (dqbuf mode).
//  2. A fence that signals an error, or a buffer DQBUF flags as an error, is
//     never latched.
//  3. The oldest outstanding fence gets a bounded wait; past it the frame is
//     abandoned (never shown, counted as a stall) and nothing else waits.
//  4. Fences are only ever waited for here, in the event loop: the renderer
//     and KMS only get buffers whose fences already signalled. That covers
//     every writer of the buffer, not only the producer: a fence another
//     writer added (after the producer's was taken, or in dqbuf mode, where
//     nobody took one) is read just before latching and waited for too.
//  5. A slot goes back to the producer only when the producer has returned
//     it (DQBUF) *and* the scene has released it.
// Newest wins: a frame older than the one on screen is dropped, so fences
// that signal out of order never move the picture backwards.
//
// It knows nothing of V4L2, and of wlroots only its log: slots are indices,
// fences are fds read through a FenceReader, and the owner acts on the hooks.
// That keeps it liftable, and testable with eventfds standing in for fences.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "event_source.hpp"
#include "monotonic_clock.hpp"
#include "sync_file.hpp"
#include "unique_fd.hpp"

namespace fencecam {

enum class SyncMode {
    fence, // the kernel attaches a release fence to each queued buffer
    dqbuf, // mainline: a frame is complete when DQBUF returns it
};

std::string_view to_string(SyncMode mode);

// Where a frame's ready time comes from: a test that claims "latched after
// the fence signalled" must know it compared with the fence's own time.
enum class ReadySource {
    fence,  // the fence's signal timestamp (SYNC_IOC_FILE_INFO)
    dqbuf,  // the moment DQBUF returned the buffer
    learnt, // the fence carried no usable timestamp: when we saw it signalled
};

std::string_view to_string(ReadySource source);

// The timeline of one shown frame, CLOCK_MONOTONIC nanoseconds.
struct FrameTimes {
    uint64_t sequence = 0; // queue order, from 1
    int64_t queued_ns = 0;
    int64_t ready_ns = 0;
    ReadySource ready_from = ReadySource::fence;
    int64_t latched_ns = 0;
};

class FrameLatcher {
  public:
    using FenceReader = std::function<FenceState(int fence)>;

    struct Hooks {
        // Show this slot now (it replaces whatever the scene showed).
        std::function<void(unsigned slot, const FrameTimes &times)> latch;
        // The slot is free again: queue it back (QBUF) if still streaming.
        std::function<void(unsigned slot)> requeue;
        // How to read a fence; read_sync_file unless a test says otherwise.
        FenceReader read_fence = read_sync_file;
        // The fence of every writer the slot's buffer has now (its dma-bufs'
        // write fences), or an empty fd where the kernel cannot say. Unset:
        // the producer is the buffer's only writer.
        std::function<UniqueFd(unsigned slot)> current_writers;
    };

    struct Counters {
        uint64_t latched = 0;
        uint64_t errors = 0; // error fences and error buffers, never shown
        uint64_t stale = 0;  // completed after a newer frame was shown
        uint64_t stalls = 0; // fences abandoned after the timeout
    };

    FrameLatcher(wl_event_loop *loop, SyncMode mode, std::chrono::milliseconds fence_timeout,
                 unsigned slot_count, Hooks hooks);
    FrameLatcher(const FrameLatcher &) = delete;
    FrameLatcher &operator=(const FrameLatcher &) = delete;

    SyncMode mode() const { return mode_; }
    std::chrono::milliseconds fence_timeout() const { return fence_timeout_; }
    // The producer's frame rate changed: the bound for each fence follows.
    void set_fence_timeout(std::chrono::milliseconds timeout);
    const Counters &counters() const { return counters_; }

    // The producer has the slot (after QBUF, or after STREAMON for slots
    // queued before it). `fence` is required in fence mode and
    // must be empty in dqbuf mode. `queued_ns`: when QBUF happened, if not
    // just now (buffers queued before STREAMON are handed over after it).
    void queued(unsigned slot, UniqueFd fence, int64_t queued_ns = -1);

    // DQBUF returned the slot; `error` if it was flagged V4L2_BUF_FLAG_ERROR.
    void dequeued(unsigned slot, bool error);

    // The scene no longer reads the slot (its wlr_buffer was released).
    void released(unsigned slot);

  private:
    struct Slot {
        uint64_t sequence = 0;
        bool with_producer = false;
        bool with_scene = false;
        bool resolved = false; // proved complete, failed, or abandoned
        int64_t queued_ns = 0;
        int64_t signalled_by_ns = 0; // the fence had signalled when handed over
        UniqueFd fence;
        EventSource fence_watch;
    };

    void watch_fence(unsigned slot, UniqueFd fence);
    void handle_fence(unsigned slot);
    bool judge_fence(unsigned slot);
    void complete(unsigned slot, bool ok, int64_t ready_ns, ReadySource ready_from);
    bool wait_for_other_writers(unsigned slot);
    void abandon_oldest();
    void arm_timeout();
    void requeue_if_free(unsigned slot);
    void stop_waiting(Slot &slot);

    wl_event_loop *loop_;
    SyncMode mode_;
    std::chrono::milliseconds fence_timeout_;
    Hooks hooks_;
    std::vector<Slot> slots_;
    uint64_t next_sequence_ = 1;
    uint64_t shown_sequence_ = 0;
    // Only the oldest outstanding fence is timed: a capture queue fills its
    // buffers in order, so the next one's wait really starts once the
    // oldest has resolved. Queue depth then never eats into the bound.
    EventSource timeout_;
    uint64_t timed_sequence_ = 0;
    Counters counters_;
};

} // namespace fencecam
