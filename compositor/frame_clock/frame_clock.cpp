#include "frame_clock.hpp"

#include <algorithm>

namespace fencecam {

void FrameClock::presented(int64_t vblank_ns, int64_t period_ns) {
    if (vblank_ns > last_vblank_ns_) {
        last_vblank_ns_ = vblank_ns;
    }
    if (period_ns > 0) {
        period_ns_ = period_ns;
    }
}

void FrameClock::landed(int64_t committed_ns, int64_t target_ns, int64_t vblank_ns) {
    if (period_ns_ <= 0) {
        return;
    }
    bool missed = vblank_ns > target_ns + period_ns_ / 2;
    // Only a commit made before its deadline says anything about the
    // margin; a late one was expected to miss.
    if (committed_ns > deadline(target_ns)) {
        return;
    }
    if (missed) {
        ++misses_;
        slack_ns_ = std::min(slack_ns_ + 1'000'000, period_ns_ / 2);
    } else {
        ++hits_;
        slack_ns_ = std::max<int64_t>(slack_ns_ - 20'000, 0);
    }
}

void FrameClock::commit_took(int64_t duration_ns) {
    durations_[durations_seen_ % durations_.size()] = duration_ns;
    ++durations_seen_;
}

int64_t FrameClock::commit_time_ns() const {
    size_t count = std::min(durations_seen_, durations_.size());
    if (count == 0) {
        return 0;
    }
    std::array<int64_t, 64> sorted = durations_;
    size_t rank = (count * 9 + 9) / 10 - 1; // nearest-rank 90th percentile
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(rank),
                     sorted.begin() + static_cast<long>(count));
    return sorted[rank];
}

int64_t FrameClock::margin_ns() const {
    int64_t margin = safety_ns + commit_time_ns() + slack_ns_;
    // A margin near a whole period would book every frame a vblank late.
    return period_ns_ > 0 ? std::min(margin, period_ns_ / 2) : margin;
}

std::optional<int64_t> FrameClock::vblank_after(int64_t time_ns) const {
    if (!predicts()) {
        return std::nullopt;
    }
    if (time_ns < last_vblank_ns_) {
        return last_vblank_ns_;
    }
    int64_t periods = (time_ns - last_vblank_ns_) / period_ns_ + 1;
    return last_vblank_ns_ + periods * period_ns_;
}

std::optional<int64_t> FrameClock::next_target(int64_t now_ns, int64_t earliest_ns) const {
    std::optional<int64_t> vblank = vblank_after(std::max(now_ns, earliest_ns - 1));
    if (!vblank) {
        return std::nullopt;
    }
    while (deadline(*vblank) < now_ns) {
        *vblank += period_ns_;
    }
    return vblank;
}

} // namespace fencecam
