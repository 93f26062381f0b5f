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

#include <memory>

#include "event_source.hpp"
#include "hud_layout.hpp"
#include "hud_painter.hpp"
#include "wlr.hpp"

namespace fencecam {

class Server;

class Hud {
  public:
    Hud(Server &server, wlr_scene_tree *layer);
    ~Hud();
    Hud(const Hud &) = delete;
    Hud &operator=(const Hud &) = delete;

    // A frame that reached the screen or was dropped (from FrameStats).
    void add(const FrameRecord &record) {
        history_.add(record);
        sources_.add(record);
    }

    void set_visible(bool visible);
    void toggle() { set_visible(!visible_); }

  private:
    void redraw();
    HudStatus status() const;

    Server &server_;
    wlr_scene_buffer *node_;
    FrameHistory history_;
    SourceHistories sources_;
    std::unique_ptr<HudPainter> painter_; // chosen when first shown
    EventSource redraw_timer_;
    bool visible_ = false;
};

} // namespace fencecam
