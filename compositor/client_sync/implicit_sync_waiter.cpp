#include "implicit_sync_waiter.hpp"

#include <list>

#include "event_source.hpp"
#include "held_commits.hpp"
#include "listener.hpp"
#include "sync_file.hpp"
#include "unique_fd.hpp"
#include "waiter_per_surface.hpp"

namespace fencecam {

namespace {

// The fences a reader of this buffer waits for: the write fences of every
// plane, merged into one sync_file. Empty if the kernel cannot export them
// (before Linux 6.0): then there is nothing to wait with, and the commit is
// applied as wlroots alone would.
UniqueFd export_buffer_write_fences(const wlr_dmabuf_attributes &dmabuf) {
    UniqueFd fences;
    for (int plane = 0; plane < dmabuf.n_planes; ++plane) {
        UniqueFd plane_fences = export_write_fences(dmabuf.fd[plane]);
        if (!plane_fences) {
            return UniqueFd();
        }
        fences =
            fences ? merge_sync_files(fences.get(), plane_fences.get()) : std::move(plane_fences);
        if (!fences) {
            return UniqueFd();
        }
    }
    return fences;
}

// One surface's held commits. It lives as long as the surface.
class SurfaceWaiter {
  public:
    SurfaceWaiter(wlr_surface *surface, wl_event_loop *loop, std::chrono::milliseconds timeout)
        : surface_(surface)
        , loop_(loop)
        , timeout_(timeout)
        , commits_(surface, loop) {
        client_commit_.connect(&surface->events.client_commit, this,
                               &SurfaceWaiter::handle_client_commit);
        destroy_.connect(&surface->events.destroy, this, &SurfaceWaiter::handle_destroy);
    }
    SurfaceWaiter(const SurfaceWaiter &) = delete;
    SurfaceWaiter &operator=(const SurfaceWaiter &) = delete;

  private:
    void handle_destroy() { delete this; }
    // A commit whose fences are pending, watched until they signal.
    struct Waiting {
        uint32_t seq = 0;
        UniqueFd fences;
        EventSource watch;
        EventSource timer;
    };
    using Wait = std::list<Waiting>::iterator;

    // wl_surface.commit, before wlroots applies or caches the pending state.
    void handle_client_commit() {
        const wlr_surface_state &pending = surface_->pending;
        if (!(pending.committed & WLR_SURFACE_STATE_BUFFER)) {
            return;
        }
        // Explicit sync: the acquire point, not implicit fences, says when
        // the buffer is ready.
        if (wlr_linux_drm_syncobj_v1_get_surface_state(surface_)) {
            return;
        }
        // wl_shm and single-pixel buffers have no producer to wait for, nor
        // has a dma-buf whose fences the kernel cannot export (before 6.0).
        UniqueFd fences;
        wlr_dmabuf_attributes dmabuf;
        if (pending.buffer && wlr_buffer_get_dmabuf(pending.buffer, &dmabuf)) {
            fences = export_buffer_write_fences(dmabuf);
        }
        const FenceState::Status status =
            fences ? read_sync_file(fences.get()).status : FenceState::Status::signalled;
        switch (status) {
        case FenceState::Status::signalled:
            // Most commits: nothing to hold, unless one ahead is held.
            if (!commits_.empty()) {
                commits_.hold(HeldCommits::State::ready);
            }
            return;
        case FenceState::Status::error:
            commits_.hold(HeldCommits::State::withheld);
            return;
        case FenceState::Status::pending:
            break;
        }
        Wait wait = waiting_.emplace(waiting_.end());
        wait->seq = commits_.hold(HeldCommits::State::waiting);
        wait->fences = std::move(fences);
        // A sync_file polls readable once all its fences have signalled,
        // with or without an error.
        wait->watch = EventSource::fd(loop_, wait->fences.get(), WL_EVENT_READABLE,
                                      [this, wait](uint32_t) { handle_fences(wait, false); });
        wait->timer = EventSource::timer(loop_, [this, wait] { handle_fences(wait, true); });
        wait->timer.arm(static_cast<int>(timeout_.count()));
    }

    void handle_fences(Wait wait, bool timed_out) {
        // Read the fences even when the timer fired: after a long stall of the
        // event loop the timer and the fence can be ready in the same round.
        const FenceState state = read_sync_file(wait->fences.get());
        if (state.status == FenceState::Status::pending && !timed_out) {
            return; // a spurious wake-up
        }
        const uint32_t seq = wait->seq;
        waiting_.erase(wait);
        switch (state.status) {
        case FenceState::Status::signalled:
            // Applies this commit, any withheld ones just before it, and any
            // later ones that were only waiting for it to go first.
            commits_.settle(seq, HeldCommits::State::ready);
            return;
        case FenceState::Status::error:
            // The producer failed (an errored camera buffer, one STREAMOFF
            // took back): never shown, replaced by the
            // surface's next good commit (held_commits.hpp).
            commits_.settle(seq, HeldCommits::State::withheld);
            return;
        case FenceState::Status::pending:
            break;
        }
        disconnect_client(surface_, "its dma-buf's write fence did not signal in time", timeout_);
    }

    wlr_surface *surface_;
    wl_event_loop *loop_;
    std::chrono::milliseconds timeout_;
    HeldCommits commits_;
    // Before the listeners, so that those unlink first on destruction.
    std::list<Waiting> waiting_;
    Listener<> client_commit_;
    Listener<> destroy_;
};

} // namespace

void create_implicit_sync_waiter(wlr_compositor *compositor, wl_event_loop *loop,
                                 std::chrono::milliseconds timeout) {
    new WaiterPerSurface<SurfaceWaiter>(compositor, loop, timeout);
}

} // namespace fencecam
