// What a V4L2 capture device offers, as the device itself reports it:
// pixel formats (VIDIOC_ENUM_FMT), frame sizes (VIDIOC_ENUM_FRAMESIZES) and
// frame intervals (VIDIOC_ENUM_FRAMEINTERVALS) at each size, and whether
// its queue offers videobuf2 release fences (the capability bits a
// VIDIOC_REQBUFS with count 0 returns, which allocates nothing).
//
// Plain V4L2, no wlroots: fencecam and fencecam-camera list cameras
// (--list-cameras) and pick a mode (camera_mode_choice.hpp) from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fencecam {

// A frame interval in seconds, numerator / denominator (1/30: 30 fps).
struct FrameInterval {
    uint32_t numerator = 0;
    uint32_t denominator = 0;
    double fps() const { return numerator ? double(denominator) / numerator : 0; }
};

// One frame size, or (stepwise and continuous sizes) a range of them.
struct CameraFrameSize {
    int width = 0; // the smallest of a range
    int height = 0;
    int max_width = 0; // a discrete size: the same as width
    int max_height = 0;
    int step_width = 1;
    int step_height = 1;
    // Fastest first; for a range, those at its largest size. Empty: the
    // driver does not enumerate them.
    std::vector<FrameInterval> intervals;

    bool is_range() const { return max_width != width || max_height != height; }
    bool contains(int w, int h) const {
        return w >= width && w <= max_width && h >= height && h <= max_height &&
               (w - width) % step_width == 0 && (h - height) % step_height == 0;
    }
};

struct CameraPixelFormat {
    uint32_t v4l2_fourcc = 0;
    std::string description; // the driver's, e.g. "YUYV 4:2:2"
    bool compressed = false; // V4L2_FMT_FLAG_COMPRESSED (MJPEG, H.264...)
    std::vector<CameraFrameSize> sizes;
};

struct CameraDescription {
    std::string path; // /dev/videoN
    std::string card; // VIDIOC_QUERYCAP's name, e.g. "HD Webcam C920"
    std::string driver;
    std::vector<std::string> by_id; // /dev/v4l/by-id links to it (USB cameras)
    std::vector<CameraPixelFormat> formats;
    int current_width = 0; // the format set now (VIDIOC_G_FMT)
    int current_height = 0;
    // V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES; unknown while another process
    // owns the queue (REQBUFS answers EBUSY).
    enum class Fences { offered, not_offered, unknown } release_fences = Fences::unknown;
};

// Describes the capture device at `fd` (opened from `path`).
CameraDescription describe_camera(int fd, const std::string &path);

// Every video capture device in /dev, /dev/videoN sorted by N.
std::vector<CameraDescription> describe_cameras();

// The listing --list-cameras prints: a camera a paragraph, its formats a
// line each with sizes and rates.
std::string camera_list_text(const std::vector<CameraDescription> &cameras);

// "YUYV" for V4L2_PIX_FMT_YUYV.
std::string fourcc_text(uint32_t fourcc);

// ioctl on a V4L2 node, retried when a signal interrupts it.
int v4l2_ioctl(int fd, unsigned long request, void *arg);

} // namespace fencecam
