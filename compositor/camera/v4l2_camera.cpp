#include "v4l2_camera.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

namespace fencecam {

namespace {

bool is_multiplanar(uint32_t type) {
    return type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
}

} // namespace

// V4L2 names byte order in memory; DRM names a little-endian word. So
// V4L2's XBGR32 (B, G, R, X bytes) is DRM's XRGB8888, and so on.
uint32_t drm_format_for_v4l2(uint32_t v4l2_fourcc) {
    switch (v4l2_fourcc) {
    case V4L2_PIX_FMT_XBGR32:
        return DRM_FORMAT_XRGB8888;
    case V4L2_PIX_FMT_ABGR32:
        return DRM_FORMAT_ARGB8888;
    case V4L2_PIX_FMT_NV12:
    case V4L2_PIX_FMT_NV12M:
        return DRM_FORMAT_NV12;
    case V4L2_PIX_FMT_YUYV:
        return DRM_FORMAT_YUYV;
    default:
        return 0;
    }
}

std::vector<std::string> V4l2Camera::capture_devices() {
    std::vector<std::pair<int, std::string>> found;
    if (DIR *dir = opendir("/dev")) {
        while (dirent *entry = readdir(dir)) {
            int number;
            char tail;
            if (std::sscanf(entry->d_name, "video%d%c", &number, &tail) != 1) {
                continue;
            }
            std::string path = std::string("/dev/") + entry->d_name;
            UniqueFd fd(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
            v4l2_capability cap{};
            if (fd && v4l2_ioctl(fd.get(), VIDIOC_QUERYCAP, &cap) == 0) {
                uint32_t caps =
                    (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
                if ((caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)) &&
                    (caps & V4L2_CAP_STREAMING)) {
                    found.emplace_back(number, path);
                }
            }
        }
        closedir(dir);
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> paths;
    for (auto &entry : found) {
        paths.push_back(std::move(entry.second));
    }
    return paths;
}

std::unique_ptr<V4l2Camera> V4l2Camera::open(const std::string &path, std::string &error) {
    // Non-blocking: DQBUF must never stall the compositor's event loop.
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        error = "cannot open camera " + path + ": " + std::strerror(errno);
        if (errno == EACCES) {
            error += " (is this user in the 'video' group?)";
        }
        return nullptr;
    }
    v4l2_capability cap{};
    if (v4l2_ioctl(fd.get(), VIDIOC_QUERYCAP, &cap) != 0) {
        error = path + " is not a V4L2 device";
        return nullptr;
    }
    uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    std::unique_ptr<V4l2Camera> camera(new V4l2Camera(std::move(fd), path));
    camera->card_ = reinterpret_cast<const char *>(cap.card);
    camera->driver_ = reinterpret_cast<const char *>(cap.driver);
    if (caps & V4L2_CAP_VIDEO_CAPTURE) {
        camera->buffer_type_ = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    } else if (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) {
        camera->buffer_type_ = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
    } else {
        error = path + " (" + camera->card_ + ") is not a video capture device";
        return nullptr;
    }
    if (!(caps & V4L2_CAP_STREAMING)) {
        error = path + " (" + camera->card_ + ") cannot stream (no V4L2_CAP_STREAMING)";
        return nullptr;
    }
    return camera;
}

bool V4l2Camera::configure(const std::vector<uint32_t> &drm_formats, const CaptureRequest &request,
                           std::string &error) {
    // What the camera offers, in its own order.
    std::vector<uint32_t> offered;
    v4l2_fmtdesc desc{};
    desc.type = buffer_type_;
    while (v4l2_ioctl(fd_.get(), VIDIOC_ENUM_FMT, &desc) == 0) {
        offered.push_back(desc.pixelformat);
        ++desc.index;
    }
    // The display side's preference decides among the formats both accept.
    for (uint32_t wanted : drm_formats) {
        for (uint32_t v4l2_fourcc : offered) {
            if (drm_format_for_v4l2(v4l2_fourcc) == wanted) {
                return set_format(v4l2_fourcc, wanted, request, error) &&
                       allocate(request.buffers, request.release_fences, error);
            }
        }
    }
    std::string list;
    for (uint32_t v4l2_fourcc : offered) {
        list += (list.empty() ? "" : " ") + fourcc_text(v4l2_fourcc);
    }
    error = path_ + " (" + card_ + ") offers no format this display can show (camera offers: " +
            (list.empty() ? "none" : list) + "; fencecam shows XR24 AR24 NV12 YUYV)";
    return false;
}

bool V4l2Camera::set_format(uint32_t v4l2_fourcc, uint32_t drm_fourcc,
                            const CaptureRequest &request, std::string &error) {
    v4l2_format fmt{};
    fmt.type = buffer_type_;
    if (v4l2_ioctl(fd_.get(), VIDIOC_G_FMT, &fmt) != 0) {
        error = path_ + ": VIDIOC_G_FMT failed: " + std::strerror(errno);
        return false;
    }
    // The driver may adjust the size to one it supports; we take its answer.
    if (is_multiplanar(buffer_type_)) {
        fmt.fmt.pix_mp.pixelformat = v4l2_fourcc;
        fmt.fmt.pix_mp.field = V4L2_FIELD_NONE;
        if (request.width > 0) {
            fmt.fmt.pix_mp.width = request.width;
            fmt.fmt.pix_mp.height = request.height;
        }
    } else {
        fmt.fmt.pix.pixelformat = v4l2_fourcc;
        fmt.fmt.pix.field = V4L2_FIELD_NONE;
        fmt.fmt.pix.bytesperline = 0;
        if (request.width > 0) {
            fmt.fmt.pix.width = request.width;
            fmt.fmt.pix.height = request.height;
        }
    }
    if (v4l2_ioctl(fd_.get(), VIDIOC_S_FMT, &fmt) != 0) {
        error = path_ + ": cannot set format " + fourcc_text(v4l2_fourcc) + ": " +
                std::strerror(errno) + (errno == EBUSY ? " (is another program using it?)" : "");
        return false;
    }

    format_ = CameraFormat{};
    format_.v4l2_fourcc = v4l2_fourcc;
    format_.drm_fourcc = drm_fourcc;
    bool two_planes = drm_fourcc == DRM_FORMAT_NV12;
    if (is_multiplanar(buffer_type_)) {
        const v4l2_pix_format_mplane &mp = fmt.fmt.pix_mp;
        format_.width = static_cast<int>(mp.width);
        format_.height = static_cast<int>(mp.height);
        format_.memory_planes = mp.num_planes;
        uint32_t stride = mp.plane_fmt[0].bytesperline;
        format_.planes.push_back({0, 0, stride});
        if (two_planes) {
            // NV12M keeps chroma in a second buffer; NV12 right after luma.
            format_.planes.push_back(mp.num_planes > 1
                                         ? PlaneLayout{1, 0, mp.plane_fmt[1].bytesperline}
                                         : PlaneLayout{0, stride * mp.height, stride});
        }
    } else {
        const v4l2_pix_format &pix = fmt.fmt.pix;
        format_.width = static_cast<int>(pix.width);
        format_.height = static_cast<int>(pix.height);
        format_.planes.push_back({0, 0, pix.bytesperline});
        if (two_planes) {
            format_.planes.push_back({0, pix.bytesperline * pix.height, pix.bytesperline});
        }
    }
    uint32_t granted =
        is_multiplanar(buffer_type_) ? fmt.fmt.pix_mp.pixelformat : fmt.fmt.pix.pixelformat;
    if (granted != v4l2_fourcc) {
        error = path_ + ": the driver replaced " + fourcc_text(v4l2_fourcc) + " with " +
                fourcc_text(granted);
        return false;
    }
    set_frame_rate(request.interval);
    return true;
}

// A rate the driver cannot do is not an error: it picks the nearest.
void V4l2Camera::set_frame_rate(const FrameInterval &interval) {
    if (interval.numerator == 0 || interval.denominator == 0) {
        return;
    }
    v4l2_streamparm parm{};
    parm.type = buffer_type_;
    parm.parm.capture.timeperframe = {interval.numerator, interval.denominator};
    v4l2_ioctl(fd_.get(), VIDIOC_S_PARM, &parm);
}

int64_t V4l2Camera::frame_period_ns() const {
    v4l2_streamparm parm{};
    parm.type = buffer_type_;
    if (v4l2_ioctl(fd_.get(), VIDIOC_G_PARM, &parm) != 0) {
        return 0;
    }
    const v4l2_fract &period = parm.parm.capture.timeperframe;
    if (period.numerator == 0 || period.denominator == 0) {
        return 0;
    }
    return int64_t(period.numerator) * 1'000'000'000 / period.denominator;
}

// The kernel clears flags a queue does not support, so the flag read back
// says whether release fences are on; the capability says whether they could
// be. Kernels older than the flags field leave both zero.
bool V4l2Camera::allocate(unsigned count, bool release_fences, std::string &error) {
    v4l2_requestbuffers req{};
    req.count = count;
    req.type = buffer_type_;
    req.memory = V4L2_MEMORY_MMAP;
    req.flags = release_fences ? V4L2_MEMORY_FLAG_RELEASE_FENCES : 0;
    if (v4l2_ioctl(fd_.get(), VIDIOC_REQBUFS, &req) != 0 || req.count == 0) {
        error = path_ + ": cannot allocate buffers: " + std::strerror(errno);
        return false;
    }
    release_fences_.offered = req.capabilities & V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES;
    release_fences_.enabled =
        release_fences_.offered && (req.flags & V4L2_MEMORY_FLAG_RELEASE_FENCES);
    release_fences_.from_qbuf =
        release_fences_.enabled && (req.capabilities & V4L2_BUF_CAP_SUPPORTS_OUT_FENCE);
    buffers_.resize(req.count);
    for (unsigned index = 0; index < req.count; ++index) {
        for (unsigned plane = 0; plane < format_.memory_planes; ++plane) {
            // O_RDWR: a renderer that composites the buffer may map it
            // read-write (llvmpipe does), and a read-only export breaks it.
            v4l2_exportbuffer exp{};
            exp.type = buffer_type_;
            exp.index = index;
            exp.plane = plane;
            exp.flags = O_RDWR | O_CLOEXEC;
            if (v4l2_ioctl(fd_.get(), VIDIOC_EXPBUF, &exp) != 0) {
                error = path_ + ": cannot export buffers as dma-bufs (VIDIOC_EXPBUF): " +
                        std::strerror(errno);
                return false;
            }
            buffers_[index].dmabufs.emplace_back(exp.fd);
        }
    }
    return true;
}

// A v4l2_buffer of this queue; multi-planar ones point at room for planes.
v4l2_buffer V4l2Camera::buffer_descriptor(v4l2_plane *planes) const {
    v4l2_buffer buf{};
    buf.type = buffer_type_;
    buf.memory = V4L2_MEMORY_MMAP;
    if (is_multiplanar(buffer_type_)) {
        buf.m.planes = planes;
        buf.length = format_.memory_planes;
    }
    return buf;
}

// V4L2_BUF_FLAG_OUT_FENCE asks QBUF for the buffer's release fence as a
// sync_file. The kernel returns one only when this QBUF hands the buffer to
// a streaming driver: a fence for a buffer queued before STREAMON would
// depend on a STREAMON that might never come.
bool V4l2Camera::queue(unsigned index, UniqueFd *fence) {
    v4l2_plane planes[VIDEO_MAX_PLANES]{};
    v4l2_buffer buf = buffer_descriptor(planes);
    buf.index = index;
    bool out_fence = fence && release_fences_.from_qbuf && streaming_;
    if (out_fence) {
        buf.flags = V4L2_BUF_FLAG_OUT_FENCE;
    }
    if (v4l2_ioctl(fd_.get(), VIDIOC_QBUF, &buf) != 0) {
        fail("VIDIOC_QBUF");
        return false;
    }
    if (out_fence) {
        *fence = UniqueFd(qbuf_fence_fd(buf));
    }
    return true;
}

std::optional<Dequeued> V4l2Camera::dequeue() {
    v4l2_plane planes[VIDEO_MAX_PLANES]{};
    v4l2_buffer buf = buffer_descriptor(planes);
    if (v4l2_ioctl(fd_.get(), VIDIOC_DQBUF, &buf) != 0) {
        if (errno != EAGAIN) {
            fail("VIDIOC_DQBUF");
        }
        return std::nullopt;
    }
    return Dequeued{buf.index, (buf.flags & V4L2_BUF_FLAG_ERROR) != 0, buf.sequence};
}

bool V4l2Camera::stream_on() {
    int type = static_cast<int>(buffer_type_);
    if (v4l2_ioctl(fd_.get(), VIDIOC_STREAMON, &type) != 0) {
        fail("VIDIOC_STREAMON");
        return false;
    }
    streaming_ = true;
    return true;
}

void V4l2Camera::stream_off() {
    if (!streaming_) {
        return;
    }
    int type = static_cast<int>(buffer_type_);
    v4l2_ioctl(fd_.get(), VIDIOC_STREAMOFF, &type);
    streaming_ = false;
}

void V4l2Camera::fail(const char *what) {
    failed_ = true;
    failure_ = path_ + ": " + what + " failed: " + std::strerror(errno);
    if (errno == ENODEV) {
        failure_ += " (camera unplugged?)";
    }
}

// STREAMOFF returns every buffer; the exported dma-bufs keep their memory
// alive for as long as anyone (the scene, KMS) still holds them.
V4l2Camera::~V4l2Camera() {
    stream_off();
}

} // namespace fencecam
