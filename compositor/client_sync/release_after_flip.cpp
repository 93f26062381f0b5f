#include "release_after_flip.hpp"

#include <fcntl.h>

#include <functional>
#include <list>
#include <memory>
#include <utility>
#include <vector>

#include "listener.hpp"
#include "unique_fd.hpp"

namespace fencecam {

namespace {

// One client dma-buf that a surface shows, or showed, held until no output
// can read it any more.
class HeldBuffer {
  public:
    // Locks the client's buffer behind `wrapper`. With explicit sync
    // (`state`), the surface's release point also waits for `gate`, a
    // timeline of ours whose point 1 we signal at the end.
    HeldBuffer(wlr_surface *surface, wlr_client_buffer *wrapper,
               wlr_linux_drm_syncobj_surface_v1_state *state, int timeline_fd, wl_event_loop *loop)
        : source_(wlr_buffer_lock(wrapper->source)) {
        wlr_surface_output *surface_output;
        wl_list_for_each(surface_output, &surface->current_outputs, link) {
            shown_since_.push_back({surface_output->output, surface_output->output->commit_seq});
        }
        wrapper_release_.connect(&wrapper->base.events.release, this,
                                 &HeldBuffer::handle_wrapper_release);
        wrapper_destroy_.connect(&wrapper->base.events.destroy, this,
                                 &HeldBuffer::handle_wrapper_destroy);
        if (state && timeline_fd >= 0) {
            gate_ = wlr_drm_syncobj_timeline_create(timeline_fd);
            if (gate_ && !wlr_linux_drm_syncobj_v1_state_add_release_point(state, gate_, 1, loop)) {
                wlr_log(WLR_ERROR, "release point not held: it may signal before the flip");
            }
        }
    }
    HeldBuffer(const HeldBuffer &) = delete;
    HeldBuffer &operator=(const HeldBuffer &) = delete;
    ~HeldBuffer() { release(); }

    // The surface moved on. From now on only the outputs the surface is on
    // may still read the buffer, until they present a frame committed after
    // this moment. `on_released` runs once nothing can read it.
    void depart(wlr_surface *surface, std::function<void()> on_released) {
        on_released_ = std::move(on_released);
        wlr_surface_output *surface_output;
        wl_list_for_each(surface_output, &surface->current_outputs, link) {
            wlr_output *output = surface_output->output;
            if (!output->enabled || !committed_since_shown(output)) {
                continue;
            }
            OutputWait &wait = waits_.emplace_back();
            wait.after_seq = output->commit_seq;
            wait.present.connect(&output->events.present, this, &HeldBuffer::handle_present, wait);
            wait.destroy.connect(&output->events.destroy, this, &HeldBuffer::handle_output_destroy,
                                 wait);
        }
        departed_ = true;
        finish_if_unread();
    }

  private:
    // An output that has not committed since the buffer became the
    // surface's never read it: a client that draws faster than the display
    // gets such a buffer back at once, not a vblank later.
    bool committed_since_shown(wlr_output *output) const {
        for (const auto &[shown_on, commit_seq] : shown_since_) {
            if (shown_on == output) {
                return output->commit_seq != commit_seq;
            }
        }
        return true; // the surface entered it since: it may have
    }

    struct OutputWait {
        uint32_t after_seq = 0;
        Listener<wlr_output_event_present> present;
        Listener<> destroy;
    };

    void handle_present(OutputWait &wait, wlr_output_event_present *event) {
        if (event->commit_seq > wait.after_seq) {
            done_waiting(wait);
        }
    }
    void handle_output_destroy(OutputWait &wait) { done_waiting(wait); }

    // The listener that called us goes with the wait: nothing of it is used
    // after.
    void done_waiting(OutputWait &wait) {
        waits_.remove_if([&wait](const OutputWait &other) { return &other == &wait; });
        finish_if_unread();
    }

    // The scene and KMS dropped the wrapper: a plane scanning it out has
    // flipped to something else.
    // The scene let go of wlroots' wrapper, or wlroots destroyed it: either
    // way the wrapper no longer reads the client's buffer.
    void handle_wrapper_release() { drop_wrapper(); }
    void handle_wrapper_destroy() { drop_wrapper(); }

    void drop_wrapper() {
        HeldBuffer *self = this;
        self->wrapper_release_.disconnect();
        self->wrapper_destroy_.disconnect();
        self->wrapper_dropped_ = true;
        self->finish_if_unread();
    }

    void finish_if_unread() {
        if (departed_ && wrapper_dropped_ && waits_.empty()) {
            release();
            // Frees this: the handler outlives it on the stack.
            std::function<void()> released = std::move(on_released_);
            released();
        }
    }

    void release() {
        if (gate_) {
            wlr_drm_syncobj_timeline_signal(gate_, 1);
            wlr_drm_syncobj_timeline_unref(gate_);
            gate_ = nullptr;
        }
        if (source_) {
            wlr_buffer_unlock(source_); // wl_buffer.release
            source_ = nullptr;
        }
    }

    wlr_buffer *source_;
    wlr_drm_syncobj_timeline *gate_ = nullptr;
    bool wrapper_dropped_ = false;
    bool departed_ = false;
    // Each output the surface was on when the buffer became current, and
    // its commit sequence then.
    std::vector<std::pair<wlr_output *, uint32_t>> shown_since_;
    std::list<OutputWait> waits_;
    std::function<void()> on_released_;
    Listener<> wrapper_release_;
    Listener<> wrapper_destroy_;
};

class ReleaseAfterFlip;

// The buffer a surface shows now.
class SurfaceHold {
  public:
    SurfaceHold(wlr_surface *surface, ReleaseAfterFlip &owner)
        : surface_(surface)
        , owner_(owner) {
        commit_.connect(&surface->events.commit, this, &SurfaceHold::handle_commit);
        destroy_.connect(&surface->events.destroy, this, &SurfaceHold::handle_destroy);
    }
    SurfaceHold(const SurfaceHold &) = delete;
    SurfaceHold &operator=(const SurfaceHold &) = delete;

  private:
    void handle_commit();
    void handle_destroy();

    wlr_surface *surface_;
    ReleaseAfterFlip &owner_;
    std::unique_ptr<HeldBuffer> current_;
    Listener<> commit_;
    Listener<> destroy_;
};

class ReleaseAfterFlip {
  public:
    ReleaseAfterFlip(wlr_compositor *compositor, wl_event_loop *loop, int timeline_drm_fd)
        : loop_(loop)
        , timeline_fd_(timeline_drm_fd >= 0 ? fcntl(timeline_drm_fd, F_DUPFD_CLOEXEC, 0) : -1) {
        new_surface_.connect(&compositor->events.new_surface, this,
                             &ReleaseAfterFlip::handle_new_surface);
        destroy_.connect(&compositor->events.destroy, this, &ReleaseAfterFlip::handle_destroy);
    }

    std::unique_ptr<HeldBuffer> hold(wlr_surface *surface) {
        wlr_client_buffer *wrapper = surface->buffer;
        wlr_dmabuf_attributes dmabuf{};
        // wl_shm (and single-pixel) buffers were copied at commit: nothing
        // reads them later.
        if (!wrapper || !wrapper->source || !wlr_buffer_get_dmabuf(wrapper->source, &dmabuf)) {
            return nullptr;
        }
        return std::make_unique<HeldBuffer>(surface, wrapper,
                                            wlr_linux_drm_syncobj_v1_get_surface_state(surface),
                                            timeline_fd_.get(), loop_);
    }

    // Keeps `held` until no output reads it.
    void depart(std::unique_ptr<HeldBuffer> held, wlr_surface *surface) {
        auto it = departed_.insert(departed_.end(), std::move(held));
        (*it)->depart(surface, [this, it] { departed_.erase(it); });
    }

  private:
    void handle_new_surface(wlr_surface *surface) { new SurfaceHold(surface, *this); }
    void handle_destroy() { delete this; }

    wl_event_loop *loop_;
    UniqueFd timeline_fd_;
    // Freed last: the listeners below unlink first.
    std::list<std::unique_ptr<HeldBuffer>> departed_;
    Listener<wlr_surface> new_surface_;
    Listener<> destroy_;
};

void SurfaceHold::handle_commit() {
    if (!(surface_->current.committed & WLR_SURFACE_STATE_BUFFER)) {
        return;
    }
    if (current_) {
        owner_.depart(std::move(current_), surface_);
    }
    current_ = owner_.hold(surface_);
}

void SurfaceHold::handle_destroy() {
    if (current_) {
        owner_.depart(std::move(current_), surface_);
    }
    delete this;
}

} // namespace

void create_release_after_flip(wlr_compositor *compositor, wl_event_loop *loop,
                               int timeline_drm_fd) {
    new ReleaseAfterFlip(compositor, loop, timeline_drm_fd);
}

} // namespace fencecam
