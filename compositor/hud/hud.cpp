#include "hud.hpp"

#include <cstdio>

#include "camera_source.hpp"
#include "output.hpp"
#include "server.hpp"

namespace fencecam {

namespace {

constexpr int redraw_interval_ms = 100;
constexpr int hud_x = 8;
constexpr int hud_y = 8;

// Shaders where the renderer is GLES2; pixman fills otherwise, and also
// when the shaders fail, so that a driver's GLSL quirk costs the HUD its
// GPU drawing, never the HUD itself.
std::unique_ptr<HudPainter> choose_painter(Server &server) {
    if (wlr_renderer_is_gles2(server.renderer)) {
        std::string error;
        if (auto painter = create_gles2_hud_painter(server.renderer, server.allocator, error)) {
            wlr_log(WLR_INFO, "HUD: drawn with GLES2 shaders");
            return painter;
        }
        std::fprintf(stderr, "fencecam: HUD: %s; drawing it with pixman instead\n", error.c_str());
    }
    wlr_log(WLR_INFO, "HUD: drawn with pixman");
    return create_pixman_hud_painter();
}

} // namespace

Hud::Hud(Server &server, wlr_scene_tree *layer)
    : server_(server)
    , node_(wlr_scene_buffer_create(layer, nullptr)) {
    wlr_scene_node_set_position(&node_->node, hud_x, hud_y);
    wlr_scene_node_set_enabled(&node_->node, false);
    redraw_timer_ = EventSource::timer(server_.loop, [this] { redraw(); });
}

Hud::~Hud() {
    // Lets go of the last buffer before the painter that made it goes.
    wlr_scene_node_destroy(&node_->node);
}

void Hud::set_visible(bool visible) {
    if (visible == visible_) {
        return;
    }
    visible_ = visible;
    wlr_log(WLR_INFO, "HUD %s", visible ? "shown" : "hidden");
    wlr_scene_node_set_enabled(&node_->node, visible);
    if (visible) {
        redraw();
    } else {
        redraw_timer_.arm(0);
    }
}

void Hud::redraw() {
    if (!painter_) {
        painter_ = choose_painter(server_);
    }
    // Setting a new buffer damages the HUD's area, which schedules a frame.
    if (wlr_buffer *buffer = painter_->paint(layout_hud(history_, status(), sources_))) {
        wlr_scene_buffer_set_buffer(node_, buffer);
        wlr_buffer_unlock(buffer);
    }
    redraw_timer_.arm(redraw_interval_ms);
}

HudStatus Hud::status() const {
    HudStatus status;
    if (server_.camera) {
        std::optional<SyncMode> mode = server_.camera->sync_mode();
        status.source = mode ? std::string(to_string(*mode)) : "NO SIGNAL";
        FrameLatcher::Counters counters = server_.camera->counters();
        status.stalls = counters.stalls;
        status.errors = counters.errors;
    }
    if (Output *output = server_.first_output(); output && output->wlr()->refresh > 0) {
        status.refresh_ns = 1'000'000'000'000 / output->wlr()->refresh;
    }
    return status;
}

} // namespace fencecam
