#include <gtest/gtest.h>

#include <sys/eventfd.h>

#include "event_source.hpp"
#include "unique_fd.hpp"

using fencecam::EventSource;
using fencecam::UniqueFd;

namespace {

struct Loop {
    Loop()
        : loop(wl_event_loop_create()) {}
    ~Loop() { wl_event_loop_destroy(loop); }
    wl_event_loop *loop;
};

} // namespace

TEST(EventSource, TimerFiresOnceArmed) {
    Loop loop;
    int fired = 0;
    EventSource timer = EventSource::timer(loop.loop, [&] { ++fired; });
    ASSERT_TRUE(timer);
    timer.arm(1);
    for (int i = 0; i < 100 && fired == 0; ++i) {
        wl_event_loop_dispatch(loop.loop, 10);
    }
    EXPECT_EQ(fired, 1);
}

TEST(EventSource, FdCallbackSeesReadiness) {
    Loop loop;
    UniqueFd event(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    ASSERT_TRUE(event);
    uint32_t seen_mask = 0;
    EventSource watch = EventSource::fd(loop.loop, event.get(), WL_EVENT_READABLE,
                                        [&](uint32_t mask) { seen_mask = mask; });
    wl_event_loop_dispatch(loop.loop, 0);
    EXPECT_EQ(seen_mask, 0u);
    uint64_t one = 1;
    ASSERT_EQ(write(event.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
    wl_event_loop_dispatch(loop.loop, 100);
    EXPECT_TRUE(seen_mask & WL_EVENT_READABLE);
}

TEST(EventSource, ResetSourceNeverCallsBack) {
    Loop loop;
    UniqueFd event(eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK));
    int calls = 0;
    EventSource watch =
        EventSource::fd(loop.loop, event.get(), WL_EVENT_READABLE, [&](uint32_t) { ++calls; });
    watch.reset();
    EXPECT_FALSE(watch);
    wl_event_loop_dispatch(loop.loop, 0);
    EXPECT_EQ(calls, 0);
}

TEST(EventSource, MovedSourceKeepsItsCallback) {
    Loop loop;
    UniqueFd event(eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK));
    int calls = 0;
    EventSource moved;
    {
        EventSource watch =
            EventSource::fd(loop.loop, event.get(), WL_EVENT_READABLE, [&](uint32_t) { ++calls; });
        moved = std::move(watch);
    }
    wl_event_loop_dispatch(loop.loop, 0);
    EXPECT_EQ(calls, 1);
}
