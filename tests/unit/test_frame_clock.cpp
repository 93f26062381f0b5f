// The frame clock's predictions and what it learns from hits and misses.
#include <gtest/gtest.h>

#include "frame_clock.hpp"

using namespace fencecam;

namespace {

constexpr int64_t ms = 1'000'000;
constexpr int64_t period = 16'667'000; // 60 Hz

TEST(FrameClock, PredictsNothingBeforeAVblank) {
    FrameClock clock(period);
    EXPECT_FALSE(clock.predicts());
    EXPECT_FALSE(clock.vblank_after(1000 * ms));
    EXPECT_FALSE(clock.next_target(1000 * ms, 1000 * ms));
}

TEST(FrameClock, VblanksFollowTheLastOneByWholePeriods) {
    FrameClock clock;
    clock.presented(1000 * ms, period);
    EXPECT_EQ(clock.vblank_after(1000 * ms), 1000 * ms + period);
    EXPECT_EQ(clock.vblank_after(1000 * ms + period), 1000 * ms + 2 * period);
    EXPECT_EQ(clock.vblank_after(1000 * ms + 5 * period + 1), 1000 * ms + 6 * period);
}

TEST(FrameClock, MarginIsSafetyCommitTimeAndSlack) {
    FrameClock clock(period);
    EXPECT_EQ(clock.margin_ns(), FrameClock::safety_ns + FrameClock::initial_slack_ns);
    for (int i = 0; i < 8; ++i) {
        clock.commit_took(1 * ms);
    }
    clock.commit_took(3 * ms);
    clock.commit_took(3 * ms);
    EXPECT_EQ(clock.commit_time_ns(), 3 * ms) << "of ten, the 90th percentile is the 9th";
    EXPECT_EQ(clock.margin_ns(), FrameClock::safety_ns + 3 * ms + FrameClock::initial_slack_ns);
}

TEST(FrameClock, OneSlowCommitDoesNotMoveEveryDeadline) {
    FrameClock clock(period);
    for (int i = 0; i < 63; ++i) {
        clock.commit_took(2 * ms);
    }
    clock.commit_took(30 * ms); // a scheduler hiccup
    EXPECT_EQ(clock.commit_time_ns(), 2 * ms);
    // A window: a slow phase counts while it lasts, then ages out.
    for (int i = 0; i < 64; ++i) {
        clock.commit_took(6 * ms);
    }
    EXPECT_EQ(clock.commit_time_ns(), 6 * ms);
}

TEST(FrameClock, TargetIsTheFirstVblankWhoseDeadlineIsAhead) {
    FrameClock clock;
    int64_t vblank = 1000 * ms;
    clock.presented(vblank, period);
    int64_t next = vblank + period;
    // Early in the period: the coming vblank.
    EXPECT_EQ(clock.next_target(vblank + 2 * ms, vblank + 2 * ms), next);
    // Past its deadline: the one after.
    int64_t late = clock.deadline(next) + 1;
    EXPECT_EQ(clock.next_target(late, late), next + period);
    // A pending flip holds the coming vblank: the earliest is the one after.
    EXPECT_EQ(clock.next_target(vblank + 2 * ms, next + period / 2), next + period);
}

TEST(FrameClock, MissesGrowTheMarginAndHitsShrinkIt) {
    FrameClock clock;
    int64_t vblank = 1000 * ms;
    clock.presented(vblank, period);
    int64_t target = vblank + period;
    int64_t start_margin = clock.margin_ns();
    // Committed before the deadline, shown a period late.
    clock.landed(clock.deadline(target), target, target + period);
    EXPECT_EQ(clock.misses(), 1u);
    EXPECT_EQ(clock.margin_ns(), start_margin + 1 * ms);
    for (int i = 0; i < 100; ++i) {
        clock.landed(clock.deadline(target), target, target);
    }
    EXPECT_EQ(clock.hits(), 100u);
    EXPECT_LT(clock.margin_ns(), start_margin);
    // A commit made after its deadline was expected to miss: nothing learnt.
    int64_t margin = clock.margin_ns();
    clock.landed(target - 1, target, target + period);
    EXPECT_EQ(clock.misses(), 1u);
    EXPECT_EQ(clock.margin_ns(), margin);
}

TEST(FrameClock, MarginNeverReachesAWholePeriod) {
    FrameClock clock(period);
    for (int i = 0; i < 64; ++i) {
        clock.commit_took(40 * ms); // a renderer far too slow for the display
    }
    EXPECT_LE(clock.margin_ns(), period / 2);
}

} // namespace
