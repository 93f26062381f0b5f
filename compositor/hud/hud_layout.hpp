// What the HUD shows and where, as plain data: a list of rectangles and
// glyphs that a painter (GLES2 shaders or pixman, see hud.hpp) draws in
// order. Keeping the layout free of any renderer lets both painters draw
// the same picture and lets unit tests check it without a display.
//
// The HUD shows, for the last frames of the built-in camera:
//   FENCE  59.9 FPS            the sync mode (or NO SIGNAL, NO CAMERA)
//   LAT 21.3 P99 24.0 MS       ready -> present latency, mean and p99
//   DROP 0 REPL 0 STALL 0 ERR 0  frames never shown, frames a newer one
//                              replaced before a commit, fences given up,
//                              errors
//   a bar a frame of ready -> present latency, with a line at the refresh
//   period: green within one period, yellow within two, red beyond or
//   never shown;
//   one row per source (the camera, each client surface), named as the
//   stats name them, with its own live latency, so windows shown side by
//   side can be told apart:
//   CLIENT FENCECAM-CAMERA (PID 812)  LAT 15.2 P99 20.1 MS
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "duration_summary.hpp"
#include "frame_record.hpp"

namespace fencecam {

inline constexpr int hud_width = 352;
inline constexpr int hud_height = 160;

// The latest frames' timings, fed with each record as a frame finishes.
class FrameHistory {
  public:
    static constexpr size_t capacity = 120; // two seconds at 60 Hz

    struct Frame {
        int64_t ready_ns;
        int64_t present_ns; // -1: never presented
    };

    void add(const FrameRecord &record);

    const std::deque<Frame> &frames() const { return frames_; }
    // Frames never presented since the start, not just in the history.
    uint64_t dropped() const { return dropped_; }
    // Frames a newer one replaced before any commit showed them: not in
    // the graph, and not drops.
    uint64_t replaced() const { return replaced_; }
    // Frames shown a second, over the last second of page flips.
    double fps() const;
    // Ready -> present of the presented frames in the history.
    Distribution latency() const;

  private:
    std::deque<Frame> frames_;
    uint64_t dropped_ = 0;
    uint64_t replaced_ = 0;
};

// The latest frames of each source, by its record's source name. Only
// the first sources seen get a row: a HUD has room for a few.
class SourceHistories {
  public:
    static constexpr size_t max_sources = 4;

    void add(const FrameRecord &record);

    const std::vector<std::pair<std::string, FrameHistory>> &sources() const { return sources_; }

  private:
    std::vector<std::pair<std::string, FrameHistory>> sources_;
};

// What the HUD needs to know besides the frames.
struct HudStatus {
    std::string source = "NO CAMERA"; // fence, dqbuf, NO SIGNAL or NO CAMERA
    int64_t refresh_ns = 16'666'667;  // the output's frame period
    uint64_t stalls = 0;
    uint64_t errors = 0;
};

// Colours are premultiplied by alpha, as wlroots' buffers are.
struct HudColor {
    float r, g, b, a;
};

struct HudRect {
    int x, y, width, height;
    HudColor color;
};

// One character of the bitmap font (bitmap_font.hpp), `scale` buffer
// pixels a font pixel.
struct HudGlyph {
    int x, y, scale;
    int glyph;
    HudColor color;
};

// Drawn over a transparent buffer of width x height: rects first, in order
// (later ones over earlier ones), then glyphs.
struct HudDrawList {
    int width = hud_width;
    int height = hud_height;
    std::vector<HudRect> rects;
    std::vector<HudGlyph> glyphs;
};

std::array<std::string, 3> hud_text(const FrameHistory &history, const HudStatus &status);
// One line per source: its name and its latency.
std::vector<std::string> hud_source_rows(const SourceHistories &sources);
HudDrawList layout_hud(const FrameHistory &history, const HudStatus &status,
                       const SourceHistories &sources = {});

} // namespace fencecam
