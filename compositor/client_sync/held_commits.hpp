// A surface's commits held by a sync waiter, in commit order, and the rule
// that applies them without ever showing a failed frame.
//
// A waiter locks a commit (wlr_surface_lock_pending) while its fence is
// pending; wlroots caches it and every later commit behind it. When the
// fence signals, the commit is ready and is unlocked. When it signals an
// error (the producer failed: a camera's errored buffer, or one STREAMOFF
// took back), its buffer holds no valid frame, yet wlroots can
// only apply a cached commit, never drop it. So the commit is *withheld*:
// kept locked until a later commit of the same surface is ready, and then
// both are unlocked together, last first, so that the head's unlock applies
// the whole run in one go. The scene takes the withheld buffer and replaces
// it in the same event-loop round: no output renders or scans out between,
// so no output ever samples it, and its wp_presentation feedback is
// "discarded". Until then the surface keeps its previous frame; other
// surfaces never wait.
//
// Commits made while something is held are tracked too (ready at once if
// their fence has signalled), so the run always ends in a ready buffer
// commit. Commits without a new buffer go along with the run unlocked.
#pragma once

#include <cstdint>
#include <deque>

#include "event_source.hpp"
#include "wlr.hpp"

namespace fencecam {

class HeldCommits {
  public:
    enum class State { waiting, ready, withheld };

    HeldCommits(wlr_surface *surface, wl_event_loop *loop);
    HeldCommits(const HeldCommits &) = delete;
    HeldCommits &operator=(const HeldCommits &) = delete;

    bool empty() const { return commits_.empty(); }

    // Locks the commit being made (from events.client_commit) and returns
    // its seq. A commit that is not waiting is applied from the event loop,
    // not from inside wlroots' commit handler.
    uint32_t hold(State state);
    // A waiting commit's fence has signalled: ready, or withheld if it failed.
    void settle(uint32_t seq, State state);

  private:
    struct Commit {
        uint32_t seq = 0;
        State state = State::waiting;
    };
    // Applies the longest run at the head that ends in a ready commit.
    void apply_ready();

    wlr_surface *surface_;
    std::deque<Commit> commits_;
    EventSource apply_later_;
};

} // namespace fencecam
