// The UVC gadget camera's picture: a moving test pattern whose frames say
// their own number, so that a test looking at the screen can tell frames
// apart and in order.
//
//   rows [0, height/8)   the frame counter, 16 bits, most significant on the
//                        left: each of 16 equal cells is white for a 1 and
//                        black for a 0
//   the rest             a dark blue field (Y 80, U 200, V 100) with a white
//                        vertical bar, width/16 wide, that moves right by
//                        width/64 each frame and wraps around
#pragma once

#include <cstdint>
#include <vector>

namespace fencecam::uvc_gadget {

// Packed YUYV 4:2:2 (V4L2_PIX_FMT_YUYV), width * 2 bytes a row.
void draw_yuyv(uint8_t *pixels, int width, int height, uint32_t frame);

// The same picture, in grey, as a baseline JPEG (an MJPEG frame). Every 8x8
// block of the pattern is flat, so the encoder writes DC terms only. Width
// and height must be multiples of 8.
std::vector<uint8_t> encode_jpeg(int width, int height, uint32_t frame);

} // namespace fencecam::uvc_gadget
