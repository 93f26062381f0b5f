// Turns the HUD's draw list (hud_layout.hpp) into a buffer the scene can
// show. Two painters draw the same list:
//   GLES2  (hud_gles2_painter.cpp)  fencecam's shaders (shaders/), into
//          buffers from the output's allocator, on the GPU;
//   pixman (hud_pixman_painter.cpp) rectangle fills on the CPU, into
//          memory buffers: for the pixman renderer, and whenever the GLES2
//          painter cannot start.
#pragma once

#include <memory>
#include <string>

#include "hud_layout.hpp"
#include "wlr.hpp"

namespace fencecam {

class HudPainter {
  public:
    virtual ~HudPainter() = default;

    // A buffer showing `list`, locked for the caller, which hands it to the
    // scene and unlocks it; nullptr if drawing failed. The buffer is one
    // nobody else reads, so drawing never changes what is on screen.
    virtual wlr_buffer *paint(const HudDrawList &list) = 0;
};

// nullptr, with `error` set to one line, when the renderer is GLES2 but the
// shaders do not compile or the allocator's buffers cannot be drawn into.
std::unique_ptr<HudPainter> create_gles2_hud_painter(wlr_renderer *renderer,
                                                     wlr_allocator *allocator, std::string &error);
std::unique_ptr<HudPainter> create_pixman_hud_painter();

} // namespace fencecam
