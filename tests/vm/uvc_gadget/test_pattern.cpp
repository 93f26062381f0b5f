#include "test_pattern.hpp"

#include <cstdlib>

namespace fencecam::uvc_gadget {

namespace {

constexpr int counter_bits = 16;

// Luma of the pattern at (x, y); the field's chroma is constant.
uint8_t luma(int x, int y, int width, int height, uint32_t frame) {
    if (y < height / 8) {
        int bit = counter_bits - 1 - x * counter_bits / width;
        return (frame >> bit) & 1 ? 235 : 16;
    }
    int bar_width = width / 16;
    int bar_x = static_cast<int>(frame * (width / 64) % width);
    bool on_bar = (x - bar_x + width) % width < bar_width;
    return on_bar ? 235 : 80;
}

bool in_counter(int y, int height) {
    return y < height / 8;
}

// A JPEG entropy-coded segment, written MSB first with 0xff byte stuffing.
class BitWriter {
  public:
    explicit BitWriter(std::vector<uint8_t> &out)
        : out_(out) {}
    void put(uint32_t bits, int count) {
        for (int i = count - 1; i >= 0; --i) {
            byte_ = static_cast<uint8_t>(byte_ << 1 | ((bits >> i) & 1));
            if (++filled_ == 8) {
                flush_byte();
            }
        }
    }
    // The last byte is padded with 1s.
    void finish() {
        while (filled_ != 0) {
            put(1, 1);
        }
    }

  private:
    void flush_byte() {
        out_.push_back(byte_);
        if (byte_ == 0xff) {
            out_.push_back(0x00);
        }
        byte_ = 0;
        filled_ = 0;
    }
    std::vector<uint8_t> &out_;
    uint8_t byte_ = 0;
    int filled_ = 0;
};

void put_marker(std::vector<uint8_t> &out, uint8_t marker, std::initializer_list<uint8_t> body) {
    out.push_back(0xff);
    out.push_back(marker);
    size_t length = body.size() + 2;
    out.push_back(static_cast<uint8_t>(length >> 8));
    out.push_back(static_cast<uint8_t>(length));
    out.insert(out.end(), body);
}

// The DC luminance Huffman table of the JPEG standard (ITU T.81 K.3):
// code and length for each size category 0..11.
constexpr uint16_t dc_codes[12] = {0x0, 0x2,  0x3,  0x4,  0x5,  0x6,
                                   0xe, 0x1e, 0x3e, 0x7e, 0xfe, 0x1fe};
constexpr int dc_lengths[12] = {2, 3, 3, 3, 3, 3, 4, 5, 6, 7, 8, 9};

} // namespace

void draw_yuyv(uint8_t *pixels, int width, int height, uint32_t frame) {
    for (int y = 0; y < height; ++y) {
        uint8_t *row = pixels + static_cast<size_t>(y) * width * 2;
        bool grey = in_counter(y, height);
        for (int x = 0; x < width; x += 2) {
            row[2 * x + 0] = luma(x, y, width, height, frame);
            row[2 * x + 1] = grey ? 128 : 200;
            row[2 * x + 2] = luma(x + 1, y, width, height, frame);
            row[2 * x + 3] = grey ? 128 : 100;
        }
    }
}

std::vector<uint8_t> encode_jpeg(int width, int height, uint32_t frame) {
    std::vector<uint8_t> out = {0xff, 0xd8}; // SOI
    // One quantisation table of 1s: DC terms are kept exactly.
    std::vector<uint8_t> dqt(65, 1);
    dqt[0] = 0x00;
    out.insert(out.end(), {0xff, 0xdb, 0x00, 67});
    out.insert(out.end(), dqt.begin(), dqt.end());
    // SOF0: 8-bit baseline, one component (grey), no subsampling, table 0.
    put_marker(out, 0xc0,
               {8, static_cast<uint8_t>(height >> 8), static_cast<uint8_t>(height),
                static_cast<uint8_t>(width >> 8), static_cast<uint8_t>(width), 1, 1, 0x11, 0});
    // DC table 0: the standard's; AC table 0: one code, "0", for end of block.
    put_marker(out, 0xc4, {0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0,  0, 0,
                           0,    0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    put_marker(out, 0xc4, {0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00});
    put_marker(out, 0xda, {1, 1, 0x00, 0, 63, 0});

    BitWriter bits(out);
    int previous = 0;
    for (int block_y = 0; block_y < height; block_y += 8) {
        for (int block_x = 0; block_x < width; block_x += 8) {
            // A flat block of level s has DC coefficient 8 * (s - 128).
            int dc = 8 * (luma(block_x, block_y, width, height, frame) - 128);
            int diff = dc - previous;
            previous = dc;
            int magnitude = std::abs(diff);
            int category = 0;
            while (magnitude >> category) {
                ++category;
            }
            bits.put(dc_codes[category], dc_lengths[category]);
            // Negative values are sent as their ones' complement.
            bits.put(static_cast<uint32_t>(diff < 0 ? diff + (1 << category) - 1 : diff), category);
            bits.put(0, 1); // end of block
        }
    }
    bits.finish();
    out.insert(out.end(), {0xff, 0xd9}); // EOI
    return out;
}

} // namespace fencecam::uvc_gadget
