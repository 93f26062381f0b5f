#include "output.hpp"

#include <cstdlib>
#include <ctime>

#include "monotonic_clock.hpp"
#include "server.hpp"

namespace fencecam {

namespace {

int64_t period_of(const wlr_output *output) {
    return output->refresh > 0 ? 1'000'000'000'000 / output->refresh : 0;
}

} // namespace

Output::Output(Server &server, wlr_output *output)
    : server_(server)
    , output_(output)
    , deadline_(server.loop, [this] { handle_deadline(); })
    , render_wait_(EventSource::timer(server.loop, [this] { commit(); })) {
    // Let the output allocate buffers the renderer can draw into; this must
    // happen before the first commit.
    wlr_output_init_render(output_, server_.allocator, server_.renderer);

    // Before the first commit, so that the mode it sets reaches handle_commit.
    frame_.connect(&output_->events.frame, this, &Output::handle_frame);
    present_.connect(&output_->events.present, this, &Output::handle_present);
    commit_.connect(&output_->events.commit, this, &Output::handle_commit);
    request_state_.connect(&output_->events.request_state, this, &Output::handle_request_state);
    destroy_.connect(&output_->events.destroy, this, &Output::handle_destroy);

    if (!apply_mode()) {
        wlr_log(WLR_ERROR, "output %s: could not set a mode; it stays off", output_->name);
    }

    // Auto-placing the output in the layout also gives the scene its
    // position; the scene output is what renders (or scans out) the scene.
    wlr_output_layout_output *layout_output =
        wlr_output_layout_add_auto(server_.output_layout, output_);
    scene_output_ = wlr_scene_output_create(server_.scene, output_);
    wlr_scene_output_layout_add_output(server_.scene_layout, layout_output, scene_output_);
    if (renderer_maps_dmabufs(server_.renderer)) {
        readonly_guard_ = std::make_unique<ReadOnlyBufferGuard>(server_.display, scene_output_);
    }

    wlr_log(WLR_INFO, "output %s: %dx%d@%.3f Hz", output_->name, output_->width, output_->height,
            output_->refresh / 1000.0);
}

Output::~Output() {
    wlr_log(WLR_INFO,
            "output %s: frame clock: %llu deadline commits made their vblank, %llu missed; "
            "margin %.2f ms",
            output_->name, static_cast<unsigned long long>(clock_.hits()),
            static_cast<unsigned long long>(clock_.misses()), clock_.margin_ns() / 1e6);
}

// The user's --mode if they gave one (a listed mode if it matches, a custom
// one otherwise: headless and nested backends take any size), else the
// output's preferred mode.
bool Output::apply_mode() {
    wlr_output_state state;
    wlr_output_state_init(&state);
    wlr_output_state_set_enabled(&state, true);
    if (const auto &wanted = server_.options().mode) {
        wlr_output_mode *match = nullptr;
        wlr_output_mode *mode;
        wl_list_for_each(mode, &output_->modes, link) {
            bool same_size = mode->width == wanted->width && mode->height == wanted->height;
            bool same_rate =
                wanted->refresh_mhz == 0 || std::abs(mode->refresh - wanted->refresh_mhz) < 500;
            if (same_size && same_rate && (!match || mode->refresh > match->refresh)) {
                match = mode;
            }
        }
        if (match) {
            wlr_output_state_set_mode(&state, match);
        } else {
            wlr_output_state_set_custom_mode(&state, wanted->width, wanted->height,
                                             wanted->refresh_mhz);
        }
    } else if (wlr_output_mode *preferred = wlr_output_preferred_mode(output_)) {
        wlr_output_state_set_mode(&state, preferred);
    }
    bool ok = wlr_output_commit_state(output_, &state);
    wlr_output_state_finish(&state);
    return ok;
}

void Output::schedule_commit() {
    if (!output_->enabled || deadline_.armed() || commit_at_frame_ || waiting_for_render_) {
        return; // a commit is booked already, and it takes the newest frame
    }
    if (!output_->frame_pending) {
        // Idle: the next vblank is the soonest this frame can be shown.
        commit();
        return;
    }
    if (!clock_.predicts()) {
        commit_at_frame_ = true; // no vblank seen yet: go when the flip is done
        return;
    }
    // The pending flip holds the coming vblank; this frame can make the one
    // after it, and waits for that vblank's deadline so that a fresher frame
    // can still take its place.
    int64_t now = monotonic_ns();
    int64_t earliest = now;
    if (in_flight_ && in_flight_->target_ns > 0) {
        earliest = in_flight_->target_ns + clock_.period_ns() / 2;
    }
    book(*clock_.next_target(now, earliest));
}

void Output::book(int64_t target_ns) {
    deadline_.arm_at(clock_.deadline(target_ns));
}

void Output::handle_deadline() {
    if (output_->frame_pending) {
        // The previous flip is late: go as soon as it completes.
        commit_at_frame_ = true;
        return;
    }
    commit();
}

// The output is ready for a new frame: after a page flip of ours, or because
// something asked for one while it was idle (a client's commit damaged the
// scene).
void Output::handle_frame() {
    bool after_flip = std::exchange(flip_since_frame_, false);
    // While a commit waits for its deadline (or for a software renderer to
    // finish the last frame) the display is idle, so each
    // client commit brings wlroots' idle frame event. Frame callbacks then
    // would let a client draw as fast as it can, not once per vblank, and
    // its frames would pile up unshown: they wait for the booked commit's
    // flip, like the ones already drawn for it.
    bool booked = !after_flip && (deadline_.armed() || waiting_for_render_);
    if (commit_at_frame_) {
        commit_at_frame_ = false;
        commit();
    } else if (deadline_.armed() || waiting_for_render_) {
        // The booked commit will take whatever is new.
    } else if (after_flip && clock_.predicts()) {
        // What arrived while the flip was pending waits for the next deadline,
        // so that a fresher frame arriving meanwhile replaces it.
        if (wlr_scene_output_needs_frame(scene_output_)) {
            book(*clock_.next_target(monotonic_ns(), monotonic_ns()));
        }
    } else {
        schedule_commit();
    }
    if (booked) {
        return;
    }
    // Clients draw their next frame now, in time for the next deadline.
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    wlr_scene_output_send_frame_done(scene_output_, &now);
}

// Render the scene (or hand a single fullscreen buffer straight to the
// display) and commit.
void Output::commit() {
    // A software renderer still drawing the last frame: this one waits its
    // turn, polled, rather than queue behind it (render_completion.hpp).
    waiting_for_render_ = server_.render_completion && !server_.render_completion->drawn();
    if (waiting_for_render_) {
        render_wait_.arm(2);
        return;
    }
    if (readonly_guard_) {
        readonly_guard_->before_commit();
    }
    uint32_t seq_before = output_->commit_seq;
    int64_t started = monotonic_ns();
    wlr_scene_output_commit(scene_output_, nullptr);
    if (output_->commit_seq == seq_before) {
        return; // nothing new to show, or the commit failed
    }
    clock_.commit_took(monotonic_ns() - started);
    flip_since_frame_ = true;
    std::optional<int64_t> target = clock_.vblank_after(started);
    in_flight_ = InFlight{output_->commit_seq, started, target.value_or(0)};
}

void Output::handle_present(wlr_output_event_present *event) {
    if (!event->presented) {
        return;
    }
    int64_t vblank = int64_t(event->when.tv_sec) * 1'000'000'000 + event->when.tv_nsec;
    clock_.presented(vblank, event->refresh > 0 ? event->refresh : period_of(output_));
    if (in_flight_ && in_flight_->commit_seq == event->commit_seq && in_flight_->target_ns > 0) {
        clock_.landed(in_flight_->committed_ns, in_flight_->target_ns, vblank);
    }
}

void Output::handle_commit(wlr_output_event_commit *event) {
    // A buffer from the output's swapchain was rendered: the next commit
    // waits until it is drawn. Any other (a camera or client buffer scanned
    // out as it is) drew nothing to wait for.
    if (server_.render_completion && (event->state->committed & WLR_OUTPUT_STATE_BUFFER) &&
        output_->swapchain && wlr_swapchain_has_buffer(output_->swapchain, event->state->buffer)) {
        server_.render_completion->submitted();
    }
    if (!(event->state->committed & WLR_OUTPUT_STATE_MODE)) {
        return;
    }
    clock_ = FrameClock(period_of(output_));
    wlr_log(WLR_INFO, "output %s: mode %dx%d@%.3f Hz", output_->name, output_->width,
            output_->height, output_->refresh / 1000.0);
    if (on_mode_) {
        on_mode_();
    }
}

// Nested backends ask for a new size when their window is resized.
void Output::handle_request_state(wlr_output_event_request_state *event) {
    wlr_output_commit_state(output_, event->state);
}

void Output::handle_destroy() {
    // Frees this object: nothing may touch a member afterwards.
    server_.remove_output(this);
}

} // namespace fencecam
