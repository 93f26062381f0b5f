// The HUD on the CPU: every rectangle is a pixman fill, every lit pixel of a
// glyph a small square. A few thousand tiny fills ten times a second cost
// less than a millisecond; no font rasteriser is needed.
#include <vector>

#include "bitmap_font.hpp"
#include "hud_painter.hpp"
#include "memory_buffer.hpp"

namespace fencecam {

namespace {

pixman_color_t to_pixman(const HudColor &color) {
    auto channel = [](float value) { return static_cast<uint16_t>(value * 0xffff + 0.5f); };
    return {channel(color.r), channel(color.g), channel(color.b), channel(color.a)};
}

class PixmanHudPainter : public HudPainter {
  public:
    wlr_buffer *paint(const HudDrawList &list) override;

  private:
    static void draw(pixman_image_t *image, const HudDrawList &list);
};

// A fresh buffer each time: the scene may still show (or KMS scan out) the
// previous one, and a new buffer can never be one somebody reads.
wlr_buffer *PixmanHudPainter::paint(const HudDrawList &list) {
    wlr_buffer *buffer = MemoryBuffer::create(list.width, list.height);
    if (!buffer) {
        return nullptr; // an empty HUD
    }
    void *data;
    uint32_t format;
    size_t stride;
    if (!wlr_buffer_begin_data_ptr_access(buffer, WLR_BUFFER_DATA_PTR_ACCESS_WRITE, &data, &format,
                                          &stride)) {
        wlr_buffer_drop(buffer);
        return nullptr;
    }
    pixman_image_t *image = pixman_image_create_bits_no_clear(
        PIXMAN_a8r8g8b8, list.width, list.height, static_cast<uint32_t *>(data), int(stride));
    draw(image, list);
    pixman_image_unref(image);
    wlr_buffer_end_data_ptr_access(buffer);

    // Hand the caller a lock and give up the creator's reference, so the
    // buffer is freed once the caller and the scene let go of it.
    wlr_buffer_lock(buffer);
    wlr_buffer_drop(buffer);
    return buffer;
}

void PixmanHudPainter::draw(pixman_image_t *image, const HudDrawList &list) {
    for (const HudRect &rect : list.rects) {
        pixman_color_t color = to_pixman(rect.color);
        pixman_rectangle16_t box = {int16_t(rect.x), int16_t(rect.y), uint16_t(rect.width),
                                    uint16_t(rect.height)};
        pixman_image_fill_rectangles(PIXMAN_OP_OVER, image, &color, 1, &box);
    }
    std::vector<pixman_rectangle16_t> dots;
    for (const HudGlyph &glyph : list.glyphs) {
        dots.clear();
        for (int y = 0; y < font::glyph_height; ++y) {
            for (int x = 0; x < font::glyph_width; ++x) {
                if (font::pixel(glyph.glyph, x, y)) {
                    dots.push_back({int16_t(glyph.x + x * glyph.scale),
                                    int16_t(glyph.y + y * glyph.scale), uint16_t(glyph.scale),
                                    uint16_t(glyph.scale)});
                }
            }
        }
        pixman_color_t color = to_pixman(glyph.color);
        pixman_image_fill_rectangles(PIXMAN_OP_OVER, image, &color, int(dots.size()), dots.data());
    }
}

} // namespace

std::unique_ptr<HudPainter> create_pixman_hud_painter() {
    return std::make_unique<PixmanHudPainter>();
}

} // namespace fencecam
