// A vivid capture device with MMAP buffers exported as dma-bufs: the camera
// side of the VM tests, as the compositor's built-in source uses it.
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>

#include "devices.hpp"
#include "unique_fd.hpp"

namespace fencecam::vm {

class VividCapture {
  public:
    // Opens the vivid capture node, sets `fourcc` at width x height and
    // allocates `count` MMAP buffers. `error` says what failed, if anything.
    VividCapture(std::uint32_t fourcc, std::uint32_t width, std::uint32_t height,
                 std::uint32_t count) {
        const auto path = find_video_capture("vivid");
        if (!path) {
            error = "no vivid video capture device";
            return;
        }
        fd_.reset(::open(path->c_str(), O_RDWR | O_CLOEXEC));
        format_.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        format_.fmt.pix.width = width;
        format_.fmt.pix.height = height;
        format_.fmt.pix.pixelformat = fourcc;
        format_.fmt.pix.field = V4L2_FIELD_NONE;
        v4l2_requestbuffers request{};
        request.count = count;
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        request.memory = V4L2_MEMORY_MMAP;
        if (!fd_) {
            error = "cannot open " + *path;
        } else if (::ioctl(fd_.get(), VIDIOC_S_FMT, &format_) != 0) {
            error = "VIDIOC_S_FMT failed";
        } else if (format_.fmt.pix.pixelformat != fourcc || format_.fmt.pix.width != width ||
                   format_.fmt.pix.height != height) {
            error = "vivid does not offer the format asked for";
        } else if (::ioctl(fd_.get(), VIDIOC_REQBUFS, &request) != 0 || request.count < count) {
            error = "VIDIOC_REQBUFS failed";
        }
    }

    int fd() const { return fd_.get(); }
    const v4l2_pix_format &format() const { return format_.fmt.pix; }

    // Buffer `index` as a dma-buf (VIDIOC_EXPBUF), read-write so that an
    // importer may map it.
    UniqueFd export_buffer(std::uint32_t index) const {
        v4l2_exportbuffer expbuf{};
        expbuf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        expbuf.index = index;
        expbuf.flags = O_RDWR | O_CLOEXEC;
        return UniqueFd(::ioctl(fd_.get(), VIDIOC_EXPBUF, &expbuf) == 0 ? expbuf.fd : -1);
    }

    // Queues buffer `index`, streams, and waits for it to come back filled.
    bool capture_one(std::uint32_t index) const {
        v4l2_buffer buffer{};
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buffer.memory = V4L2_MEMORY_MMAP;
        buffer.index = index;
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        if (::ioctl(fd_.get(), VIDIOC_QBUF, &buffer) != 0 ||
            ::ioctl(fd_.get(), VIDIOC_STREAMON, &type) != 0) {
            return false;
        }
        // Blocking DQBUF: vivid produces frames at its frame rate.
        const bool filled =
            ::ioctl(fd_.get(), VIDIOC_DQBUF, &buffer) == 0 && !(buffer.flags & V4L2_BUF_FLAG_ERROR);
        return ::ioctl(fd_.get(), VIDIOC_STREAMOFF, &type) == 0 && filled;
    }

    std::string error;

  private:
    UniqueFd fd_;
    v4l2_format format_{};
};

} // namespace fencecam::vm
