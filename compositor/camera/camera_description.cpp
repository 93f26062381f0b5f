#include "camera_description.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include <fcntl.h>
#include <sys/ioctl.h>

#include <linux/videodev2.h>

#include "release_fence_uapi.hpp"
#include "unique_fd.hpp"
#include "v4l2_camera.hpp"

namespace fencecam {

int v4l2_ioctl(int fd, unsigned long request, void *arg) {
    int ret;
    do {
        ret = ioctl(fd, request, arg);
    } while (ret == -1 && errno == EINTR);
    return ret;
}

namespace {

// Fastest first. Stepwise and continuous intervals: their two ends.
std::vector<FrameInterval> enumerate_intervals(int fd, uint32_t fourcc, int width, int height) {
    std::vector<FrameInterval> intervals;
    v4l2_frmivalenum ival{};
    ival.pixel_format = fourcc;
    ival.width = static_cast<uint32_t>(width);
    ival.height = static_cast<uint32_t>(height);
    while (v4l2_ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &ival) == 0) {
        if (ival.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
            intervals.push_back({ival.discrete.numerator, ival.discrete.denominator});
        } else {
            intervals.push_back({ival.stepwise.min.numerator, ival.stepwise.min.denominator});
            intervals.push_back({ival.stepwise.max.numerator, ival.stepwise.max.denominator});
            break;
        }
        ++ival.index;
    }
    std::erase_if(intervals, [](const FrameInterval &i) { return i.fps() <= 0; });
    std::stable_sort(
        intervals.begin(), intervals.end(),
        [](const FrameInterval &a, const FrameInterval &b) { return a.fps() > b.fps(); });
    return intervals;
}

std::vector<CameraFrameSize> enumerate_sizes(int fd, uint32_t fourcc) {
    std::vector<CameraFrameSize> sizes;
    v4l2_frmsizeenum size{};
    size.pixel_format = fourcc;
    while (v4l2_ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &size) == 0) {
        CameraFrameSize entry;
        if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
            entry.width = entry.max_width = static_cast<int>(size.discrete.width);
            entry.height = entry.max_height = static_cast<int>(size.discrete.height);
        } else {
            entry.width = static_cast<int>(size.stepwise.min_width);
            entry.height = static_cast<int>(size.stepwise.min_height);
            entry.max_width = static_cast<int>(size.stepwise.max_width);
            entry.max_height = static_cast<int>(size.stepwise.max_height);
            entry.step_width = std::max(1, static_cast<int>(size.stepwise.step_width));
            entry.step_height = std::max(1, static_cast<int>(size.stepwise.step_height));
        }
        entry.intervals = enumerate_intervals(fd, fourcc, entry.max_width, entry.max_height);
        sizes.push_back(std::move(entry));
        if (size.type != V4L2_FRMSIZE_TYPE_DISCRETE) {
            break;
        }
        ++size.index;
    }
    return sizes;
}

std::vector<std::string> by_id_links(const std::string &path) {
    namespace fs = std::filesystem;
    std::vector<std::string> links;
    std::error_code error;
    const fs::path target = fs::canonical(path, error);
    for (const auto &entry : fs::directory_iterator("/dev/v4l/by-id", error)) {
        std::error_code ignored;
        if (fs::canonical(entry.path(), ignored) == target) {
            links.push_back(entry.path().string());
        }
    }
    std::sort(links.begin(), links.end());
    return links;
}

// "30" for 30 fps (a UVC camera's 333333 x 100 ns too), "7.5", "29.97".
std::string rate_text(double fps) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", fps);
    std::string rate = text;
    rate.erase(rate.find_last_not_of('0') + 1);
    if (rate.back() == '.') {
        rate.pop_back();
    }
    return rate;
}

} // namespace

std::string fourcc_text(uint32_t fourcc) {
    std::string text;
    for (int shift = 0; shift < 32; shift += 8) {
        const char c = char((fourcc >> shift) & 0xff);
        text += c >= ' ' && c <= '~' ? c : '?';
    }
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

CameraDescription describe_camera(int fd, const std::string &path) {
    CameraDescription camera;
    camera.path = path;
    camera.by_id = by_id_links(path);
    v4l2_capability cap{};
    if (v4l2_ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0) {
        camera.card = reinterpret_cast<const char *>(cap.card);
        camera.driver = reinterpret_cast<const char *>(cap.driver);
    }
    const uint32_t caps =
        (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    const uint32_t type = (caps & V4L2_CAP_VIDEO_CAPTURE) ? V4L2_BUF_TYPE_VIDEO_CAPTURE
                                                          : V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
    v4l2_fmtdesc desc{};
    desc.type = type;
    while (v4l2_ioctl(fd, VIDIOC_ENUM_FMT, &desc) == 0) {
        CameraPixelFormat format;
        format.v4l2_fourcc = desc.pixelformat;
        format.description = reinterpret_cast<const char *>(desc.description);
        format.compressed = desc.flags & V4L2_FMT_FLAG_COMPRESSED;
        format.sizes = enumerate_sizes(fd, desc.pixelformat);
        camera.formats.push_back(std::move(format));
        ++desc.index;
    }
    v4l2_format current{};
    current.type = type;
    if (v4l2_ioctl(fd, VIDIOC_G_FMT, &current) == 0) {
        camera.current_width = static_cast<int>(
            type == V4L2_BUF_TYPE_VIDEO_CAPTURE ? current.fmt.pix.width : current.fmt.pix_mp.width);
        camera.current_height =
            static_cast<int>(type == V4L2_BUF_TYPE_VIDEO_CAPTURE ? current.fmt.pix.height
                                                                 : current.fmt.pix_mp.height);
    }
    // Count 0 allocates nothing (and frees nothing: the queue has no buffers
    // unless another process owns it, which EBUSY says).
    v4l2_requestbuffers req{};
    req.type = type;
    req.memory = V4L2_MEMORY_MMAP;
    if (v4l2_ioctl(fd, VIDIOC_REQBUFS, &req) == 0) {
        camera.release_fences = (req.capabilities & V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES)
                                    ? CameraDescription::Fences::offered
                                    : CameraDescription::Fences::not_offered;
    }
    return camera;
}

std::vector<CameraDescription> describe_cameras() {
    std::vector<CameraDescription> cameras;
    for (const std::string &path : V4l2Camera::capture_devices()) {
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
        if (fd) {
            cameras.push_back(describe_camera(fd.get(), path));
        }
    }
    return cameras;
}

std::string camera_list_text(const std::vector<CameraDescription> &cameras) {
    if (cameras.empty()) {
        return "no camera: no V4L2 video capture device in /dev\n";
    }
    std::string text;
    for (const CameraDescription &camera : cameras) {
        text += camera.path + ": " + camera.card + " (driver " + camera.driver + ")\n";
        for (const std::string &link : camera.by_id) {
            text += "  by id: " + link + "\n";
        }
        text += "  release fences: ";
        switch (camera.release_fences) {
        case CameraDescription::Fences::offered:
            text += "offered (V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES)\n";
            break;
        case CameraDescription::Fences::not_offered:
            text += "not offered\n";
            break;
        case CameraDescription::Fences::unknown:
            text += "unknown (another process streams from it)\n";
            break;
        }
        for (const CameraPixelFormat &format : camera.formats) {
            text += "  " + fourcc_text(format.v4l2_fourcc) + " (" + format.description +
                    (format.compressed ? ", compressed" : "") + "):";
            for (const CameraFrameSize &size : format.sizes) {
                text += " " + std::to_string(size.width) + "x" + std::to_string(size.height);
                if (size.is_range()) {
                    text += "-" + std::to_string(size.max_width) + "x" +
                            std::to_string(size.max_height);
                }
                std::string rates;
                for (const FrameInterval &interval : size.intervals) {
                    rates += (rates.empty() ? "" : ",") + rate_text(interval.fps());
                }
                if (!rates.empty()) {
                    text += "@" + rates;
                }
            }
            text += format.sizes.empty() ? " (sizes not enumerated)\n" : "\n";
        }
        text += "\n";
    }
    text.pop_back();
    return text;
}

} // namespace fencecam
