#include "hud.hpp"

#include <cstdio>

#include "wlr_gles2.hpp"

namespace fencecam {

namespace {

constexpr int redraw_interval_ms = 100;
constexpr int hud_x = 8;
constexpr int hud_y = 8;

// Shaders where the renderer is GLES2; pixman fills otherwise, and also
// when the shaders fail, so that a driver's GLSL quirk costs the HUD its
// GPU drawing, never the HUD itself.
std::unique_ptr<HudPainter> choose_painter(wlr_renderer *renderer, wlr_allocator *allocator) {
    if (wlr_renderer_is_gles2(renderer)) {
        std::string error;
        if (auto painter = create_gles2_hud_painter(renderer, allocator, error)) {
            wlr_log(WLR_INFO, "HUD: drawn with GLES2 shaders");
            return painter;
        }
        std::fprintf(stderr, "fencecam: HUD: %s; drawing it with pixman instead\n", error.c_str());
    }
    wlr_log(WLR_INFO, "HUD: drawn with pixman");
    return create_pixman_hud_painter();
}

} // namespace

Hud::Hud(wl_event_loop *loop, wlr_renderer *renderer, wlr_allocator *allocator,
         wlr_scene_tree *layer, std::function<HudStatus()> status)
    : renderer_(renderer)
    , allocator_(allocator)
    , status_(std::move(status))
    , node_(wlr_scene_buffer_create(layer, nullptr)) {
    wlr_scene_node_set_position(&node_->node, hud_x, hud_y);
    wlr_scene_node_set_enabled(&node_->node, false);
    redraw_timer_ = EventSource::timer(loop, [this] { redraw(); });
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
        painter_ = choose_painter(renderer_, allocator_);
    }
    // Setting a new buffer damages the HUD's area, which schedules a frame.
    if (wlr_buffer *buffer = painter_->paint(layout_hud(history_, status_(), sources_))) {
        wlr_scene_buffer_set_buffer(node_, buffer);
        wlr_buffer_unlock(buffer);
    }
    redraw_timer_.arm(redraw_interval_ms);
}

} // namespace fencecam
