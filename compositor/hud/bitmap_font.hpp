// A tiny 5x7 bitmap font for the HUD: digits, capital letters and the
// punctuation the HUD prints. Glyphs are pixel rows in a table, so both the
// GLES2 painter (as a texture) and the pixman painter (as rectangles) draw
// the very same letters, and no font library is needed in a compositor.
#pragma once

#include <cstdint>
#include <vector>

namespace fencecam::font {

inline constexpr int glyph_width = 5;
inline constexpr int glyph_height = 7;
// Distance from one character to the next, and from one line to the next,
// in font pixels: one column and one row of space.
inline constexpr int advance = glyph_width + 1;
inline constexpr int line_height = glyph_height + 2;

// Lower case draws as upper case; a character without a glyph draws as '?'.
int glyph_index(char c);
int glyph_count();
bool pixel(int glyph, int x, int y);

// All glyphs side by side, `advance` pixels apart, one byte of coverage
// (0 or 255) a pixel: what the GLES2 painter uploads as its font texture.
struct Atlas {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> alpha; // width * height bytes, row by row
};
Atlas make_atlas();

} // namespace fencecam::font
