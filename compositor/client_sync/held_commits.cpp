#include "held_commits.hpp"

#include <algorithm>
#include <vector>

namespace fencecam {

HeldCommits::HeldCommits(wlr_surface *surface, wl_event_loop *loop)
    : surface_(surface)
    , apply_later_(EventSource::timer(loop, [this] { apply_ready(); })) {}

uint32_t HeldCommits::hold(State state) {
    const uint32_t seq = wlr_surface_lock_pending(surface_);
    commits_.push_back({seq, state});
    if (state != State::waiting) {
        // The commit is cached only once this handler returns.
        apply_later_.arm(1);
    }
    return seq;
}

void HeldCommits::settle(uint32_t seq, State state) {
    auto commit = std::find_if(commits_.begin(), commits_.end(),
                               [seq](const Commit &held) { return held.seq == seq; });
    if (commit != commits_.end()) {
        commit->state = state;
        apply_ready();
    }
}

void HeldCommits::apply_ready() {
    auto end = commits_.begin();
    for (auto commit = commits_.begin();
         commit != commits_.end() && commit->state != State::waiting; ++commit) {
        if (commit->state == State::ready) {
            end = std::next(commit);
        }
    }
    std::vector<uint32_t> run;
    for (auto commit = commits_.begin(); commit != end; ++commit) {
        run.push_back(commit->seq);
    }
    commits_.erase(commits_.begin(), end);
    // Last first: only the head's unlock applies, and then the whole run.
    for (auto seq = run.rbegin(); seq != run.rend(); ++seq) {
        wlr_surface_unlock_cached(surface_, *seq);
    }
}

} // namespace fencecam
