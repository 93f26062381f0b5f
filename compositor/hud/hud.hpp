// The HUD: live latency numbers and a frame-timing graph over the picture,
// drawn by the compositor itself (see hud_layout.hpp for what it shows, and
// hud_painter.hpp for how it is drawn).
//
// The HUD is one wlr_scene_buffer in a layer above everything else. Hidden,
// its node is disabled and the scene ignores it entirely, so the camera
// (or a fullscreen client) is scanned out directly again; shown, the output
// composites, which is the price of seeing the numbers. It redraws ten
// times a second at most, and never while hidden.
#pragma once

#include <functional>
#include <memory>

#include "event_source.hpp"
#include "hud_layout.hpp"
#include "hud_painter.hpp"
#include "wlr.hpp"

namespace fencecam {

class Hud {
  public:
    // `status` says what the HUD's first line shows (the camera's sync mode,
    // the output's refresh); the compositor that owns the HUD answers it.
    Hud(wl_event_loop *loop, wlr_renderer *renderer, wlr_allocator *allocator,
        wlr_scene_tree *layer, std::function<HudStatus()> status);
    ~Hud();
    Hud(const Hud &) = delete;
    Hud &operator=(const Hud &) = delete;

    // A frame that reached the screen or was dropped, as it is recorded.
    void add(const FrameRecord &record) {
        history_.add(record);
        sources_.add(record);
    }

    void set_visible(bool visible);
    void toggle() { set_visible(!visible_); }

  private:
    void redraw();

    wlr_renderer *renderer_;
    wlr_allocator *allocator_;
    std::function<HudStatus()> status_;
    wlr_scene_buffer *node_;
    FrameHistory history_;
    SourceHistories sources_;
    std::unique_ptr<HudPainter> painter_; // chosen when first shown
    EventSource redraw_timer_;
    bool visible_ = false;
};

} // namespace fencecam
