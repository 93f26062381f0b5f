#include "frame_latcher.hpp"

#include <cassert>

#include "wlr.hpp"

namespace fencecam {

std::string_view to_string(SyncMode mode) {
    switch (mode) {
    case SyncMode::fence:
        return "fence";
    case SyncMode::dqbuf:
        return "dqbuf";
    }
    return "?";
}

std::string_view to_string(ReadySource source) {
    switch (source) {
    case ReadySource::fence:
        return "fence";
    case ReadySource::dqbuf:
        return "dqbuf";
    case ReadySource::learnt:
        return "learnt";
    }
    return "?";
}

void FrameLatcher::set_fence_timeout(std::chrono::milliseconds timeout) {
    if (timeout == fence_timeout_) {
        return;
    }
    fence_timeout_ = timeout;
    arm_timeout(); // the oldest fence's wait starts over with the new bound
}

FrameLatcher::FrameLatcher(wl_event_loop *loop, SyncMode mode,
                           std::chrono::milliseconds fence_timeout, unsigned slot_count,
                           Hooks hooks)
    : loop_(loop)
    , mode_(mode)
    , fence_timeout_(fence_timeout)
    , hooks_(std::move(hooks))
    , slots_(slot_count) {
    timeout_ = EventSource::timer(loop_, [this] { abandon_oldest(); });
}

void FrameLatcher::queued(unsigned index, UniqueFd fence, int64_t queued_ns) {
    Slot &slot = slots_.at(index);
    assert(!slot.with_producer && !slot.with_scene);
    slot = Slot{};
    slot.sequence = next_sequence_++;
    slot.with_producer = true;
    slot.queued_ns = queued_ns >= 0 ? queued_ns : monotonic_ns();
    if (mode_ == SyncMode::dqbuf) {
        return;
    }
    // A buffer the camera completed before its fence was taken hands over
    // a signalled stub with no time of its own: the frame was ready by now,
    // however long the event loop takes to get to it. A zero-timeout poll,
    // the readiness the fence watch waits for, is all it costs per frame.
    if (sync_file_signalled(fence.get())) {
        slot.signalled_by_ns = monotonic_ns();
    }
    watch_fence(index, std::move(fence));
}

// The fence fd polls readable once it has signalled, with or without an
// error; handle_fence reads which.
void FrameLatcher::watch_fence(unsigned index, UniqueFd fence) {
    Slot &slot = slots_[index];
    slot.fence = std::move(fence);
    slot.fence_watch = EventSource::fd(loop_, slot.fence.get(), WL_EVENT_READABLE,
                                       [this, index](uint32_t) { handle_fence(index); });
    if (timed_sequence_ == 0) {
        arm_timeout();
    }
}

void FrameLatcher::handle_fence(unsigned index) {
    if (judge_fence(index)) {
        if (slots_[index].sequence == timed_sequence_) {
            arm_timeout();
        }
        requeue_if_free(index); // DQBUF may have handed it back already
    }
}

// Reads a slot's fence; once it has signalled, completes the frame and
// returns true.
bool FrameLatcher::judge_fence(unsigned index) {
    Slot &slot = slots_[index];
    FenceState state = hooks_.read_fence(slot.fence.get());
    if (state.status == FenceState::Status::pending) {
        return false; // a spurious wake-up: keep waiting
    }
    stop_waiting(slot);
    bool ok = state.status == FenceState::Status::signalled;
    // A timestamp from before the frame was queued (a stub that signalled
    // long ago, or none at all) says nothing of when this frame was done:
    // it was ready when we learnt it.
    if (state.timestamp_ns >= slot.queued_ns) {
        complete(index, ok, state.timestamp_ns, ReadySource::fence);
    } else {
        complete(index, ok, slot.signalled_by_ns > 0 ? slot.signalled_by_ns : monotonic_ns(),
                 ReadySource::learnt);
    }
    return true;
}

void FrameLatcher::dequeued(unsigned index, bool error) {
    Slot &slot = slots_.at(index);
    slot.with_producer = false;
    if (mode_ == SyncMode::dqbuf) {
        complete(index, !error, monotonic_ns(), ReadySource::dqbuf);
    } else if (!slot.resolved && error) {
        // An error buffer whose fence we have not seen yet: it will never be
        // shown, so stop waiting for its fence.
        stop_waiting(slot);
        complete(index, false, monotonic_ns(), ReadySource::dqbuf);
        arm_timeout();
    } else if (!slot.resolved && judge_fence(index) && slot.sequence == timed_sequence_) {
        // DQBUF can hand back several buffers in one event-loop iteration,
        // before their fence callbacks have run: judge the fence now, or the
        // newest frame would wait an iteration for nothing.
        arm_timeout();
    }
    // A slot whose fence is still pending stays out until it resolves:
    // requeueing it would throw its frame away unjudged.
    requeue_if_free(index);
}

void FrameLatcher::complete(unsigned index, bool ok, int64_t ready_ns, ReadySource ready_from) {
    Slot &slot = slots_[index];
    slot.resolved = true;
    if (!ok) {
        ++counters_.errors;
        return;
    }
    if (slot.sequence < shown_sequence_) {
        ++counters_.stale;
        return;
    }
    if (wait_for_other_writers(index)) {
        return;
    }
    shown_sequence_ = slot.sequence;
    slot.with_scene = true;
    ++counters_.latched;
    hooks_.latch(index,
                 FrameTimes{slot.sequence, slot.queued_ns, ready_ns, ready_from, monotonic_ns()});
}

// The producer is done, but the buffer may have another writer (a device or
// process that added its fence to the dma-buf, after the producer's fence
// was taken or, in dqbuf mode, at any time). KMS and the renderer would wait
// for that fence without bound, and the picture would freeze on it: wait for
// it here instead, under the same bound as any fence. Returns true while the
// slot waits.
bool FrameLatcher::wait_for_other_writers(unsigned index) {
    if (!hooks_.current_writers) {
        return false;
    }
    UniqueFd writers = hooks_.current_writers(index);
    if (!writers) {
        return false;
    }
    // A zero-timeout poll, once per frame: the kernel leaves fences that
    // already signalled out of the export, so an error shows only on a fence
    // still pending here, and handle_fence reads it then.
    if (sync_file_signalled(writers.get())) {
        return false;
    }
    Slot &slot = slots_[index];
    wlr_log(WLR_DEBUG, "frame %lu: complete, but another writer's fence is pending: waiting",
            static_cast<unsigned long>(slot.sequence));
    slot.resolved = false;
    watch_fence(index, std::move(writers));
    return true;
}

void FrameLatcher::released(unsigned index) {
    slots_.at(index).with_scene = false;
    requeue_if_free(index);
}

void FrameLatcher::requeue_if_free(unsigned index) {
    Slot &slot = slots_[index];
    if (!slot.with_producer && !slot.with_scene && slot.resolved && slot.sequence != 0) {
        slot.sequence = 0; // free until queued() numbers it again
        hooks_.requeue(index);
    }
}

void FrameLatcher::stop_waiting(Slot &slot) {
    slot.fence_watch.reset();
    slot.fence.reset();
}

// Times the oldest slot still waiting for its fence, if any.
void FrameLatcher::arm_timeout() {
    const Slot *oldest = nullptr;
    for (const Slot &slot : slots_) {
        if (!slot.resolved && slot.fence && (!oldest || slot.sequence < oldest->sequence)) {
            oldest = &slot;
        }
    }
    timed_sequence_ = oldest ? oldest->sequence : 0;
    timeout_.arm(oldest ? static_cast<int>(fence_timeout_.count()) : 0);
}

// The oldest fence did not signal in time (a stalled sensor, no input
// signal, a dropped frame). Stop waiting for it: the picture on screen stays,
// the slot comes back when the producer returns it, and it is never shown.
void FrameLatcher::abandon_oldest() {
    for (unsigned index = 0; index < slots_.size(); ++index) {
        Slot &slot = slots_[index];
        if (slot.sequence == timed_sequence_ && slot.fence) {
            stop_waiting(slot);
            slot.resolved = true;
            ++counters_.stalls;
            wlr_log(WLR_DEBUG, "frame %lu: fence not signalled within %lld ms, abandoned",
                    static_cast<unsigned long>(slot.sequence),
                    static_cast<long long>(fence_timeout_.count()));
            requeue_if_free(index);
            break;
        }
    }
    arm_timeout();
}

} // namespace fencecam
