// Which pixel format, frame size and frame rate to stream, picked from what
// the camera reports (camera_description.hpp) rather than asked for blindly:
// VIDIOC_S_FMT silently rounds to whatever the driver likes, and a webcam's
// default rate can be 5 fps.
//
// The rules, in order:
// 1. The size: the one wanted (the output's, so that a frame can be scanned
//    out as it is, or one the user gave) when the camera offers it in a
//    format fencecam can show; otherwise the largest such size that fits
//    in it (the renderer scales it up), or failing that the smallest.
//    A camera that offers the wanted size only compressed (MJPEG) thus gets
//    its best uncompressed mode.
// 2. The format at that size: one the output's primary plane scans out,
//    then one the renderer composites, each in the display's order of
//    preference.
// 3. The rate at that format and size: the highest up to the display's
//    refresh rate (a faster camera's extra frames are replaced before any
//    vblank shows them, and cost bandwidth and CPU), or the nearest to the
//    one the user gave.
// A pure function, unit-tested over described cameras; `why` says what was
// picked and why, for the log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "camera_description.hpp"

namespace fencecam {

struct ModeWanted {
    std::vector<uint32_t> scanout_formats;   // DRM fourccs, best first
    std::vector<uint32_t> composite_formats; // DRM fourccs, best first
    int width = 0;                           // 0: the camera's current size
    int height = 0;
    std::string size_from = "the output's size"; // for the log: whose size it is
    int fps = 0;     // 0: the highest the camera offers at the size, up to max_fps
    int max_fps = 0; // the display's refresh rate; 0: no limit
};

struct ModeChoice {
    uint32_t v4l2_fourcc = 0;
    uint32_t drm_fourcc = 0;
    int width = 0;
    int height = 0;
    FrameInterval interval; // 0/0: the camera enumerates none; keep its own
    std::string why;
};

struct ModeResult {
    std::optional<ModeChoice> choice;
    std::string error; // one line naming what the camera offers and what fencecam shows
};

ModeResult choose_camera_mode(const CameraDescription &camera, const ModeWanted &wanted);

} // namespace fencecam
