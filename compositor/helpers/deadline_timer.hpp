// A one-shot timer at an absolute CLOCK_MONOTONIC time, in the event loop.
//
// wl_event_loop's own timers take relative milliseconds; a commit deadline a
// few milliseconds before vblank needs better than that, and vblank times
// are absolute. A timerfd with TFD_TIMER_ABSTIME gives both.
#pragma once

#include <cstdint>
#include <functional>

#include <sys/timerfd.h>

#include "event_source.hpp"
#include "unique_fd.hpp"

namespace fencecam {

class DeadlineTimer {
  public:
    DeadlineTimer(wl_event_loop *loop, std::function<void()> callback)
        : fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC))
        , callback_(std::move(callback)) {
        watch_ = EventSource::fd(loop, fd_.get(), WL_EVENT_READABLE, [this](uint32_t) { fire(); });
    }
    DeadlineTimer(const DeadlineTimer &) = delete;
    DeadlineTimer &operator=(const DeadlineTimer &) = delete;

    // Fires once at `when_ns` (at once if that is past).
    void arm_at(int64_t when_ns) {
        // A zero it_value would disarm: the earliest real time is 1 ns.
        when_ns = when_ns > 0 ? when_ns : 1;
        itimerspec spec{};
        spec.it_value.tv_sec = when_ns / 1'000'000'000;
        spec.it_value.tv_nsec = when_ns % 1'000'000'000;
        timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
        armed_ = true;
    }
    bool armed() const { return armed_; }

  private:
    void fire() {
        uint64_t expirations;
        if (read(fd_.get(), &expirations, sizeof expirations) != sizeof expirations) {
            return; // re-armed since it became readable
        }
        armed_ = false;
        callback_();
    }

    UniqueFd fd_;
    std::function<void()> callback_;
    EventSource watch_; // after fd_: removed from the loop before the fd closes
    bool armed_ = false;
};

} // namespace fencecam
