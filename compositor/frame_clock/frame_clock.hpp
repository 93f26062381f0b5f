// The frame clock: when to commit an output so that the newest frame makes
// the next vblank.
//
// A display takes a new picture at each vblank, and KMS accepts one page
// flip at a time. Committing a frame the moment it arrives while a flip is
// still pending books the *following* vblank, and a fresher frame that
// arrives meanwhile must queue behind it: a camera running near the display's
// rate then stays one period behind. So, like KWin's render loop, Mutter's
// frame clock and sway's max_render_time, a new frame that finds a flip
// pending (or arrives too late for the coming vblank) is committed at a
// deadline: the predicted vblank minus a margin. Until then, newer frames
// simply replace it.
//
// The margin is learnt, not configured: how long recent commits took (the
// 90th percentile, render time included when the output composites) plus a
// slack that grows by a millisecond each time a commit made in time still
// missed its vblank, and shrinks slowly while commits land. It knows nothing of wlroots: times are
// CLOCK_MONOTONIC nanoseconds, so it is unit-tested on its own.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace fencecam {

class FrameClock {
  public:
    // The display's refresh period when nothing better is known (0: none).
    explicit FrameClock(int64_t nominal_period_ns = 0)
        : period_ns_(nominal_period_ns) {}

    // A page flip was shown at vblank `vblank_ns`; `period_ns` is the
    // refresh period the display reported with it (0: unknown).
    void presented(int64_t vblank_ns, int64_t period_ns);
    // A commit made at `committed_ns` for `target_ns` was shown at
    // `vblank_ns`: learn whether the margin was enough.
    void landed(int64_t committed_ns, int64_t target_ns, int64_t vblank_ns);
    // A commit took `duration_ns` of the compositor's time.
    void commit_took(int64_t duration_ns);

    // Nothing is predicted until a vblank and a period are known.
    bool predicts() const { return period_ns_ > 0 && last_vblank_ns_ > 0; }
    int64_t period_ns() const { return period_ns_; }
    int64_t margin_ns() const;
    // The 90th percentile of the recent commits' durations.
    int64_t commit_time_ns() const;

    // The first predicted vblank strictly after `time_ns`.
    std::optional<int64_t> vblank_after(int64_t time_ns) const;
    // The latest time a commit still makes `vblank_ns`.
    int64_t deadline(int64_t vblank_ns) const { return vblank_ns - margin_ns(); }
    // The earliest vblank at or after `earliest_ns` whose deadline is not
    // past at `now_ns`.
    std::optional<int64_t> next_target(int64_t now_ns, int64_t earliest_ns) const;

    // Miss accounting, for the log and the tests.
    uint64_t hits() const { return hits_; }
    uint64_t misses() const { return misses_; }

    // Start-up slack: about what a legacy page flip needs before vblank on
    // a slow virtual display; misses push it up, hits bring it down.
    static constexpr int64_t initial_slack_ns = 2'000'000;
    static constexpr int64_t safety_ns = 1'000'000;

  private:
    int64_t period_ns_;
    int64_t last_vblank_ns_ = 0;
    int64_t slack_ns_ = initial_slack_ns;
    // The last commits' durations: a high percentile, so that the odd slow
    // one (a scheduler hiccup) does not push every deadline early, and a
    // window, so that a slow phase (composition) counts only while it lasts.
    std::array<int64_t, 64> durations_{};
    size_t durations_seen_ = 0;
    uint64_t hits_ = 0;
    uint64_t misses_ = 0;
};

} // namespace fencecam
