#include "output.hpp"

#include <cstdlib>
#include <ctime>

#include "server.hpp"

namespace fencecam {

Output::Output(Server &server, wlr_output *output)
    : server_(server)
    , output_(output) {
    // Let the output allocate buffers the renderer can draw into; this must
    // happen before the first commit.
    wlr_output_init_render(output_, server_.allocator, server_.renderer);

    if (!apply_mode()) {
        wlr_log(WLR_ERROR, "output %s: could not set a mode; it stays off", output_->name);
    }

    frame_.connect(&output_->events.frame, [this] { handle_frame(); });
    request_state_.connect(
        &output_->events.request_state,
        [this](wlr_output_event_request_state *event) { handle_request_state(event); });
    destroy_.connect(&output_->events.destroy, [this] { handle_destroy(); });

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

// The output is ready for a new frame: render the scene (or hand a single
// fullscreen buffer straight to the display), commit, and tell clients their
// frame was shown so they draw the next one.
void Output::handle_frame() {
    commit();
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    wlr_scene_output_send_frame_done(scene_output_, &now);
}

void Output::commit_if_idle() {
    if (output_->enabled && !output_->frame_pending) {
        commit();
    }
}

void Output::commit() {
    if (readonly_guard_) {
        readonly_guard_->before_commit();
    }
    wlr_scene_output_commit(scene_output_, nullptr);
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
