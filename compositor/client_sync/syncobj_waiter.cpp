#include "syncobj_waiter.hpp"

#include <list>

#include <sys/types.h>
#include <xf86drm.h>

#include "event_source.hpp"
#include "held_commits.hpp"
#include "listener.hpp"
#include "sync_file.hpp"
#include "unique_fd.hpp"
#include "waiter_per_surface.hpp"

namespace fencecam {

namespace {

// The acquire point the client has set for the commit it is making.
//
// wlroots only exposes the *current* syncobj state of a surface. Each
// wlr_surface_synced object keeps its pending and current states at the same
// index of the surface's pending and current `synced` arrays, so the pending
// one is found next to the current one.
const wlr_linux_drm_syncobj_surface_v1_state *pending_syncobj_state(wlr_surface *surface) {
    const void *current = wlr_linux_drm_syncobj_v1_get_surface_state(surface);
    if (!current) {
        return nullptr;
    }
    auto *const *currents = static_cast<void *const *>(surface->current.synced.data);
    auto *const *pendings = static_cast<void *const *>(surface->pending.synced.data);
    const size_t count = surface->current.synced.size / sizeof(void *);
    for (size_t i = 0; i < count && i < surface->pending.synced.size / sizeof(void *); ++i) {
        if (currents[i] == current) {
            return static_cast<const wlr_linux_drm_syncobj_surface_v1_state *>(pendings[i]);
        }
    }
    return nullptr;
}

// Whether `point` has signalled: 1 yes, 0 not yet (or not even
// materialised), -1 the timeline cannot be queried.
int acquire_signalled(wlr_drm_syncobj_timeline *timeline, uint64_t point) {
    bool signalled = false;
    if (!wlr_drm_syncobj_timeline_check(timeline, point, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
                                        &signalled)) {
        return -1;
    }
    return signalled ? 1 : 0;
}

// Whether a signalled `point` signalled with an error. Exporting the
// timeline's newest point gives its chain node, and SYNC_IOC_FILE_INFO's
// per-fence entries unwrap it to the producer's fence and its error. An
// older signalled point exports as a stub: the kernel has unlinked it, error
// and all, so a client that queues further points on a timeline before the
// earlier ones signal cannot have their errors seen.
bool acquire_failed(wlr_drm_syncobj_timeline *timeline, uint64_t point) {
    UniqueFd sync_file(wlr_drm_syncobj_timeline_export_sync_file(timeline, point));
    return sync_file && read_sync_file(sync_file.get()).status == FenceState::Status::error;
}

// One surface's held commits and its release bookkeeping. It lives as long
// as the surface.
class SurfaceWaiter {
  public:
    SurfaceWaiter(wlr_surface *surface, wl_event_loop *loop, std::chrono::milliseconds timeout)
        : surface_(surface)
        , loop_(loop)
        , timeout_(timeout)
        , commits_(surface, loop) {
        client_commit_.connect(&surface->events.client_commit, this,
                               &SurfaceWaiter::handle_client_commit);
        // Connected when the surface is created, so before the scene's own
        // commit listener: the scene reads the state after handle_commit.
        commit_.connect(&surface->events.commit, this, &SurfaceWaiter::handle_commit);
        destroy_.connect(&surface->events.destroy, this, &SurfaceWaiter::handle_destroy);
    }
    SurfaceWaiter(const SurfaceWaiter &) = delete;
    SurfaceWaiter &operator=(const SurfaceWaiter &) = delete;

  private:
    void handle_destroy() { delete this; }
    struct HeldCommit;
    // wlroots calls the waiter back with a pointer to its
    // wlr_drm_syncobj_timeline_waiter: the first member of this
    // standard-layout slot, which knows its commit.
    struct WaiterSlot {
        wlr_drm_syncobj_timeline_waiter waiter{};
        HeldCommit *commit = nullptr;
    };

    // A commit whose acquire point has not signalled yet.
    struct HeldCommit {
        SurfaceWaiter *owner = nullptr;
        std::list<HeldCommit>::iterator self;
        uint32_t seq = 0;
        wlr_drm_syncobj_timeline *timeline = nullptr; // referenced
        uint64_t point = 0;
        // The fences behind the point, unwrapped (see watch_fences), or else
        // a wlroots timeline waiter.
        UniqueFd fences;
        // The producer's fence had signalled by the merge, which then drops
        // it, error and all: only the point's chain node can tell.
        bool merged_after_signal = false;
        EventSource watch;
        WaiterSlot slot;
        bool waiting = false;
        EventSource timer;

        HeldCommit() = default;
        HeldCommit(const HeldCommit &) = delete;
        HeldCommit &operator=(const HeldCommit &) = delete;
        ~HeldCommit() {
            if (waiting) {
                wlr_drm_syncobj_timeline_waiter_finish(&slot.waiter);
            }
            wlr_drm_syncobj_timeline_unref(timeline);
        }
    };
    using Held = std::list<HeldCommit>::iterator;

    // wl_surface.commit, before wlroots applies or caches the pending state
    // (and before wlroots' own materialisation wait, which then finds the
    // point materialised).
    void handle_client_commit() {
        const wlr_linux_drm_syncobj_surface_v1_state *pending = pending_syncobj_state(surface_);
        // wlroots rejects a buffer without an acquire point, and an acquire
        // point without a buffer, with a protocol error of its own.
        if (!pending || !pending->acquire_timeline || !surface_->pending.buffer) {
            return;
        }
        const int signalled = acquire_signalled(pending->acquire_timeline, pending->acquire_point);
        if (signalled == 1) {
            // Signalled already, perhaps with an error: the fence itself is
            // still on the point, unlike a dma-buf's signalled fences.
            if (acquire_failed(pending->acquire_timeline, pending->acquire_point)) {
                commits_.hold(HeldCommits::State::withheld);
            } else if (!commits_.empty()) {
                commits_.hold(HeldCommits::State::ready);
            }
            return;
        }
        Held held = held_.emplace(held_.end());
        held->owner = this;
        held->self = held;
        held->seq = commits_.hold(HeldCommits::State::waiting);
        held->timeline = wlr_drm_syncobj_timeline_ref(pending->acquire_timeline);
        held->point = pending->acquire_point;
        held->slot.commit = &*held;
        const bool watched = signalled == 0 && watch_fences(held);
        // Not materialised yet: a wlroots waiter. Flags 0: wake up when the
        // point has signalled, not merely materialised.
        held->waiting = signalled == 0 && !watched &&
                        wlr_drm_syncobj_timeline_waiter_init(&held->slot.waiter, held->timeline,
                                                             held->point, 0, loop_, &handle_ready);
        if (!watched && !held->waiting) {
            fail(held, "its acquire point cannot be waited for");
            return;
        }
        held->timer = EventSource::timer(loop_, [this, held] { handle_timeout(held); });
        held->timer.arm(static_cast<int>(timeout_.count()));
    }

    // A materialised point is a dma_fence_chain node wrapping the producer's
    // fence. The chain signals from irq_work, one step removed from the
    // producer (under emulation, a frame period late), and does not carry
    // the producer's error. Merging its sync_file unwraps it
    // (SYNC_IOC_MERGE keeps only the contained, unsignalled fences): the
    // waiter then wakes with the producer's own fence, and reads its error.
    bool watch_fences(Held held) {
        UniqueFd chain(wlr_drm_syncobj_timeline_export_sync_file(held->timeline, held->point));
        if (!chain) {
            return false;
        }
        held->fences = merge_sync_files(chain.get(), chain.get());
        if (!held->fences) {
            return false;
        }
        held->merged_after_signal = sync_file_signalled(held->fences.get());
        held->watch =
            EventSource::fd(loop_, held->fences.get(), WL_EVENT_READABLE, [this, held](uint32_t) {
                if (read_sync_file(held->fences.get()).status != FenceState::Status::pending) {
                    handle_signalled(held);
                }
            });
        return true;
    }

    static void handle_ready(wlr_drm_syncobj_timeline_waiter *waiter) {
        HeldCommit *commit = reinterpret_cast<WaiterSlot *>(waiter)->commit;
        commit->owner->handle_signalled(commit->self);
    }

    // A fence that signalled with an error means the producer failed (an
    // errored camera buffer, one STREAMOFF took back): the
    // buffer holds no valid frame. It is withheld, never shown, and
    // replaced by the surface's next good commit (held_commits.hpp).
    void handle_signalled(Held held) {
        // A fence that signalled between the check in handle_client_commit
        // and the merge left the merge a signalled stub, its error dropped,
        // while the point's chain node still holds the producer's fence.
        const bool failed =
            held->fences && !held->merged_after_signal
                ? read_sync_file(held->fences.get()).status == FenceState::Status::error
                : acquire_failed(held->timeline, held->point);
        const uint32_t seq = held->seq;
        held_.erase(held);
        // Applies this commit, any withheld ones just before it, and any
        // later ones that were only waiting for it to go first.
        commits_.settle(seq, failed ? HeldCommits::State::withheld : HeldCommits::State::ready);
    }

    void handle_timeout(Held held) {
        // After a long stall of the event loop the timer and the eventfd can
        // be ready in the same round: look before giving up.
        if (held->fences ? read_sync_file(held->fences.get()).status != FenceState::Status::pending
                         : acquire_signalled(held->timeline, held->point) == 1) {
            handle_signalled(held);
            return;
        }
        fail(held, "its acquire point did not signal in time");
    }

    void fail(Held held, const char *why) {
        held_.erase(held);
        disconnect_client(surface_, why, timeout_);
    }

    // The commit has been applied; the scene reads the state next.
    void handle_commit() {
        wlr_linux_drm_syncobj_surface_v1_state *state =
            wlr_linux_drm_syncobj_v1_get_surface_state(surface_);
        if (!state || !(surface_->current.committed & WLR_SURFACE_STATE_BUFFER) ||
            !surface_->current.buffer || !surface_->buffer) {
            return;
        }
        // Every buffer commit passed handle_client_commit, which let it
        // through only once its acquire point had signalled. Passing the
        // point on would make the renderer or KMS wait for nothing, or skip
        // the buffer where they cannot wait on timelines.
        wlr_drm_syncobj_timeline_unref(state->acquire_timeline);
        state->acquire_timeline = nullptr;
        state->acquire_point = 0;
    }

    wlr_surface *surface_;
    wl_event_loop *loop_;
    std::chrono::milliseconds timeout_;
    HeldCommits commits_;
    // Before the listeners, so that those unlink first on destruction.
    std::list<HeldCommit> held_;
    Listener<> client_commit_;
    Listener<> commit_;
    Listener<> destroy_;
};

} // namespace

void create_syncobj_waiter(wlr_compositor *compositor, wl_event_loop *loop,
                           std::chrono::milliseconds timeout) {
    new WaiterPerSurface<SurfaceWaiter>(compositor, loop, timeout);
}

} // namespace fencecam
