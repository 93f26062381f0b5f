// A V4L2 capture device whose buffers leave as dma-bufs.
//
// Plain V4L2, no wlroots: open and query the device (single- or
// multi-planar capture), negotiate a format that the display side accepts,
// allocate MMAP buffers and export every plane with VIDIOC_EXPBUF, then
// QBUF / DQBUF / STREAMON / STREAMOFF. The caller decides what "acceptable"
// means (what the output can scan out, what the renderer can sample).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <linux/videodev2.h>

#include "camera_description.hpp"
#include "release_fence_uapi.hpp"

#include "unique_fd.hpp"

namespace fencecam {

// One plane as the display side sees it (DRM layout): which exported
// dma-buf holds it, where it starts and how far apart its rows are.
struct PlaneLayout {
    unsigned memory_plane = 0; // index into CameraBuffer::dmabufs
    uint32_t offset = 0;
    uint32_t stride = 0;
};

struct CameraFormat {
    uint32_t v4l2_fourcc = 0;
    uint32_t drm_fourcc = 0;
    int width = 0;
    int height = 0;
    std::vector<PlaneLayout> planes;
    unsigned memory_planes = 1; // dma-bufs per buffer (NV12M: 2)
};

struct CameraBuffer {
    std::vector<UniqueFd> dmabufs; // one per memory plane, exported O_RDWR
};

struct CaptureRequest {
    int width = 0; // 0: the driver's current size
    int height = 0;
    FrameInterval interval; // 0/0: the driver's current rate
    unsigned buffers = 4;
    // Opt in to videobuf2 release fences where the queue offers them: each
    // buffer the driver owns then carries a write fence in its dma-bufs.
    bool release_fences = true;
};

// What the queue said about release fences at VIDIOC_REQBUFS.
struct ReleaseFences {
    bool offered = false; // V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES
    bool enabled = false; // V4L2_MEMORY_FLAG_RELEASE_FENCES asked for and kept
    // Enabled, and V4L2_BUF_CAP_SUPPORTS_OUT_FENCE: VIDIOC_QBUF returns the
    // fence itself once streaming, so it need not be exported per plane.
    bool from_qbuf = false;
};

struct Dequeued {
    unsigned index = 0;
    bool error = false;    // V4L2_BUF_FLAG_ERROR: the frame is corrupt
    uint32_t sequence = 0; // the driver's frame counter (gaps are drops)
};

class V4l2Camera {
  public:
    // The capture devices present, /dev/videoN sorted by N.
    static std::vector<std::string> capture_devices();

    // Opens `path` and checks it can stream video capture; nullptr and one
    // actionable line in `error` otherwise.
    static std::unique_ptr<V4l2Camera> open(const std::string &path, std::string &error);

    // Picks the first of `drm_formats` (in order of preference) that the
    // camera offers, sets it with the requested size and rate, allocates the
    // buffers and exports them.
    bool configure(const std::vector<uint32_t> &drm_formats, const CaptureRequest &request,
                   std::string &error);

    // VIDIOC_QBUF. With `fence`, where the kernel hands out the release fence
    // at QBUF (ReleaseFences::from_qbuf) and QBUF gave it to the driver (it
    // does once streaming), that fence; else `fence` stays empty and the
    // fence, if any, is in the buffer's dma-bufs.
    bool queue(unsigned index, UniqueFd *fence = nullptr);
    // The next completed buffer, or nothing if none is ready (EAGAIN) or the
    // device failed; `failed()` tells the two apart.
    std::optional<Dequeued> dequeue();
    bool stream_on();
    void stream_off();

    bool failed() const { return failed_; }
    const std::string &failure() const { return failure_; }
    int fd() const { return fd_.get(); }
    const std::string &path() const { return path_; }
    const std::string &card() const { return card_; }
    const std::string &driver() const { return driver_; }
    const CameraFormat &format() const { return format_; }
    // The frame period the driver says it runs at (VIDIOC_G_PARM), in
    // nanoseconds; 0 when it does not say.
    int64_t frame_period_ns() const;
    const std::vector<CameraBuffer> &buffers() const { return buffers_; }
    const ReleaseFences &release_fences() const { return release_fences_; }

    ~V4l2Camera();

  private:
    V4l2Camera(UniqueFd fd, std::string path)
        : fd_(std::move(fd))
        , path_(std::move(path)) {}
    bool set_format(uint32_t v4l2_fourcc, uint32_t drm_fourcc, const CaptureRequest &request,
                    std::string &error);
    void set_frame_rate(const FrameInterval &interval);
    bool allocate(unsigned count, bool release_fences, std::string &error);
    void fail(const char *what);
    v4l2_buffer buffer_descriptor(v4l2_plane *planes) const;

    UniqueFd fd_;
    std::string path_;
    std::string card_;
    std::string driver_;
    uint32_t buffer_type_ = 0; // V4L2_BUF_TYPE_VIDEO_CAPTURE(_MPLANE)
    CameraFormat format_;
    std::vector<CameraBuffer> buffers_;
    ReleaseFences release_fences_;
    bool streaming_ = false;
    bool failed_ = false;
    std::string failure_;
};

// The DRM fourcc for a V4L2 pixel format fencecam can show, or 0.
uint32_t drm_format_for_v4l2(uint32_t v4l2_fourcc);

} // namespace fencecam
