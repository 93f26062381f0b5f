// fencecam-uvc-feeder FUNCTION-DIR: the userspace half of a UVC gadget camera.
//
// The kernel's UVC function (usb_f_uvc) handles USB, and hands its user a
// V4L2 output node plus events (Documentation/usb/gadget_uvc.rst):
//   SETUP/DATA   the host's class requests, which this program answers: the
//                streaming interface's PROBE and COMMIT controls negotiate
//                format, frame size and interval; everything else stalls
//                (the function describes no controls worth having)
//   STREAMON     the host selected the streaming alternate setting: set the
//                committed format on the node, allocate buffers, start
//   STREAMOFF    stop and free the buffers
// Frames (test_pattern.hpp) are queued one per frame interval, timed here,
// so the camera runs at the committed rate.
//
// FUNCTION-DIR is the function's configfs directory (.../functions/uvc.N):
// formats and frames are read from there. Subscribing to the events pulls
// the gadget up; then the program attaches it to this machine's USB host
// side (usbip_loopback.hpp). It runs until the node goes away (the gadget is
// unbound from its UDC) or SIGTERM. SIGUSR1 stalls the camera as a sensor
// without input does: no more frames, while the host's requests are still
// answered; SIGUSR2 lets frames flow again.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/timerfd.h>

#include <linux/usb/ch9.h>
#include <linux/usb/g_uvc.h>
#include <linux/usb/video.h>
#include <linux/videodev2.h>

#include "test_pattern.hpp"
#include "unique_fd.hpp"
#include "usbip_loopback.hpp"

namespace fencecam::uvc_gadget {

namespace {

namespace fs = std::filesystem;

volatile sig_atomic_t stalled = 0; // SIGUSR1 sets it, SIGUSR2 clears it

struct Frame {
    int index = 0; // bFrameIndex
    int width = 0;
    int height = 0;
    std::vector<uint32_t> intervals; // 100 ns units
};

struct Format {
    int index = 0; // bFormatIndex: the order of the streaming header's links
    uint32_t fourcc = 0;
    std::vector<Frame> frames;
};

std::string read_attribute(const fs::path &path) {
    std::ifstream file(path);
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    return text;
}

// The formats as the host sees them: uncompressed before mjpeg, which is the
// order tools/vm-guest/uvc-gadget links them in.
std::vector<Format> read_formats(const fs::path &function) {
    std::vector<Format> formats;
    for (auto [kind, fourcc] :
         {std::pair{"uncompressed", V4L2_PIX_FMT_YUYV}, std::pair{"mjpeg", V4L2_PIX_FMT_MJPEG}}) {
        std::error_code error;
        for (const auto &entry : fs::directory_iterator(function / "streaming" / kind, error)) {
            if (!entry.is_directory()) {
                continue;
            }
            Format format;
            format.index = static_cast<int>(formats.size()) + 1;
            format.fourcc = fourcc;
            for (const auto &frame_dir : fs::directory_iterator(entry.path())) {
                if (!frame_dir.is_directory() || !fs::exists(frame_dir.path() / "bFrameIndex")) {
                    continue;
                }
                Frame frame;
                frame.index = std::stoi(read_attribute(frame_dir.path() / "bFrameIndex"));
                frame.width = std::stoi(read_attribute(frame_dir.path() / "wWidth"));
                frame.height = std::stoi(read_attribute(frame_dir.path() / "wHeight"));
                std::istringstream intervals(read_attribute(frame_dir.path() / "dwFrameInterval"));
                for (uint32_t interval; intervals >> interval;) {
                    frame.intervals.push_back(interval);
                }
                format.frames.push_back(frame);
            }
            std::sort(format.frames.begin(), format.frames.end(),
                      [](const Frame &a, const Frame &b) { return a.index < b.index; });
            formats.push_back(std::move(format));
        }
    }
    return formats;
}

int xioctl(int fd, unsigned long request, void *arg) {
    int ret;
    do {
        ret = ioctl(fd, request, arg);
    } while (ret == -1 && errno == EINTR);
    return ret;
}

struct MappedBuffer {
    void *data = MAP_FAILED;
    size_t length = 0;
};

class Feeder {
  public:
    Feeder(UniqueFd node, std::vector<Format> formats)
        : node_(std::move(node))
        , formats_(std::move(formats))
        , timer_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
        probe_ = make_control(1, 1, 0);
        commit_ = probe_;
    }

    bool subscribe() {
        // SETUP last: subscribing to it is what pulls the gadget up.
        for (uint32_t type : {UVC_EVENT_CONNECT, UVC_EVENT_DISCONNECT, UVC_EVENT_STREAMON,
                              UVC_EVENT_STREAMOFF, UVC_EVENT_DATA, UVC_EVENT_SETUP}) {
            v4l2_event_subscription subscription{};
            subscription.type = type;
            if (xioctl(node_.get(), VIDIOC_SUBSCRIBE_EVENT, &subscription) < 0) {
                std::fprintf(stderr, "uvc-feeder: cannot subscribe to UVC events: %s\n",
                             std::strerror(errno));
                return false;
            }
        }
        return true;
    }

    // Until the node goes away (0) or something fails (1).
    int run(const volatile sig_atomic_t &stop) {
        while (!stop) {
            short events = static_cast<short>(POLLPRI | (streaming_ ? POLLOUT : 0));
            pollfd fds[2] = {{node_.get(), events, 0}, {timer_.get(), POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return 1;
            }
            if (fds[0].revents & POLLHUP) {
                // The function's node is unregistered when the gadget is
                // unbound: the camera is unplugged. (POLLERR alone is
                // videobuf2's word for a queue not streaming.)
                std::fprintf(stderr, "uvc-feeder: the gadget's node went away\n");
                return 0;
            }
            if (fds[0].revents & POLLPRI) {
                handle_events();
            }
            if (fds[0].revents & POLLOUT) {
                reclaim();
            }
            if (fds[1].revents & POLLIN) {
                uint64_t ticks;
                if (::read(timer_.get(), &ticks, sizeof ticks) == sizeof ticks) {
                    send_frame();
                }
            }
        }
        return 0;
    }

  private:
    const Format *format(int index) const {
        for (const Format &format : formats_) {
            if (format.index == index) {
                return &format;
            }
        }
        return nullptr;
    }

    // A valid control for (format, frame, interval), each clamped to what
    // exists; interval 0 is the frame's first (fastest listed) one.
    uvc_streaming_control make_control(int format_index, int frame_index, uint32_t interval) const {
        const Format *fmt = format(format_index);
        if (!fmt) {
            fmt = &formats_.front();
        }
        int clamped = std::clamp(frame_index, 1, static_cast<int>(fmt->frames.size()));
        const Frame &frame = fmt->frames[clamped - 1];
        uint32_t chosen = frame.intervals.front();
        // The nearest listed interval that is not faster than asked.
        for (uint32_t listed : frame.intervals) {
            if (interval != 0 && listed >= interval && (chosen < interval || listed < chosen)) {
                chosen = listed;
            }
        }
        uvc_streaming_control control{};
        control.bmHint = 1;
        control.bFormatIndex = static_cast<uint8_t>(fmt->index);
        control.bFrameIndex = static_cast<uint8_t>(frame.index);
        control.dwFrameInterval = chosen;
        control.dwMaxVideoFrameSize = static_cast<uint32_t>(frame.width * frame.height * 2);
        // The function's streaming_maxpacket (tools/vm-guest/uvc-gadget sets
        // 3072, high speed's most): the host picks its alternate setting
        // by it.
        control.dwMaxPayloadTransferSize = 3072;
        control.bmFramingInfo = 3;
        control.bPreferedVersion = 1;
        control.bMinVersion = 1;
        control.bMaxVersion = 1;
        return control;
    }

    void respond(const void *data, int length) {
        uvc_request_data response{};
        response.length = length;
        if (length > 0) {
            std::memcpy(response.data, data,
                        std::min<size_t>(static_cast<size_t>(length), sizeof response.data));
        }
        if (xioctl(node_.get(), UVCIOC_SEND_RESPONSE, &response) < 0) {
            std::fprintf(stderr, "uvc-feeder: UVCIOC_SEND_RESPONSE failed: %s\n",
                         std::strerror(errno));
        }
    }

    void stall() { respond(nullptr, -1); }

    void handle_setup(const usb_ctrlrequest &request) {
        // The function puts UVC_STRING_STREAMING_IDX in wIndex for requests
        // to the streaming interface.
        bool streaming = (request.wIndex & 0xff) == UVC_STRING_STREAMING_IDX;
        int selector = request.wValue >> 8;
        if ((request.bRequestType & USB_TYPE_MASK) != USB_TYPE_CLASS || !streaming ||
            (selector != UVC_VS_PROBE_CONTROL && selector != UVC_VS_COMMIT_CONTROL)) {
            stall();
            return;
        }
        uvc_streaming_control &control = selector == UVC_VS_PROBE_CONTROL ? probe_ : commit_;
        switch (request.bRequest) {
        case UVC_SET_CUR:
            // The host's data follows as a DATA event.
            data_for_ = selector;
            respond(&control, sizeof control);
            break;
        case UVC_GET_CUR:
            respond(&control, sizeof control);
            break;
        case UVC_GET_MIN:
        case UVC_GET_MAX:
        case UVC_GET_DEF: {
            // One answer for all three: the format and frame probed, at
            // their first interval.
            uvc_streaming_control bound = make_control(probe_.bFormatIndex, probe_.bFrameIndex, 0);
            respond(&bound, sizeof bound);
            break;
        }
        case UVC_GET_RES: {
            uvc_streaming_control zero{};
            respond(&zero, sizeof zero);
            break;
        }
        case UVC_GET_LEN: {
            uint8_t length[2] = {sizeof(uvc_streaming_control), 0};
            respond(length, sizeof length);
            break;
        }
        case UVC_GET_INFO: {
            uint8_t info = UVC_CONTROL_CAP_GET | UVC_CONTROL_CAP_SET;
            respond(&info, 1);
            break;
        }
        default:
            stall();
        }
    }

    void handle_data(const uvc_request_data &data) {
        uvc_streaming_control asked{};
        std::memcpy(&asked, data.data,
                    std::min<size_t>(sizeof asked, static_cast<size_t>(std::max(data.length, 0))));
        uvc_streaming_control granted =
            make_control(asked.bFormatIndex, asked.bFrameIndex, asked.dwFrameInterval);
        if (data_for_ == UVC_VS_PROBE_CONTROL) {
            probe_ = granted;
        } else if (data_for_ == UVC_VS_COMMIT_CONTROL) {
            commit_ = granted;
        }
        data_for_ = 0;
    }

    void handle_events() {
        v4l2_event event{};
        while (xioctl(node_.get(), VIDIOC_DQEVENT, &event) == 0) {
            const auto *uvc = reinterpret_cast<const uvc_event *>(&event.u.data);
            switch (event.type) {
            case UVC_EVENT_SETUP:
                handle_setup(uvc->req);
                break;
            case UVC_EVENT_DATA:
                handle_data(uvc->data);
                break;
            case UVC_EVENT_STREAMON:
                start();
                break;
            case UVC_EVENT_STREAMOFF:
            case UVC_EVENT_DISCONNECT:
                stop();
                break;
            default:
                break;
            }
        }
    }

    void start() {
        const Format *fmt = format(commit_.bFormatIndex);
        const Frame &frame = fmt->frames[commit_.bFrameIndex - 1];
        v4l2_format v4l2{};
        v4l2.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        v4l2.fmt.pix.width = static_cast<uint32_t>(frame.width);
        v4l2.fmt.pix.height = static_cast<uint32_t>(frame.height);
        v4l2.fmt.pix.pixelformat = fmt->fourcc;
        v4l2.fmt.pix.field = V4L2_FIELD_NONE;
        v4l2.fmt.pix.sizeimage = static_cast<uint32_t>(frame.width * frame.height * 2);
        if (xioctl(node_.get(), VIDIOC_S_FMT, &v4l2) < 0) {
            std::fprintf(stderr, "uvc-feeder: VIDIOC_S_FMT failed: %s\n", std::strerror(errno));
            return;
        }
        // The function sizes its USB requests by the interval.
        v4l2_streamparm parm{};
        parm.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        parm.parm.output.timeperframe = {commit_.dwFrameInterval, 10'000'000};
        xioctl(node_.get(), VIDIOC_S_PARM, &parm);

        v4l2_requestbuffers request{};
        request.count = 4;
        request.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        request.memory = V4L2_MEMORY_MMAP;
        if (xioctl(node_.get(), VIDIOC_REQBUFS, &request) < 0) {
            std::fprintf(stderr, "uvc-feeder: VIDIOC_REQBUFS failed: %s\n", std::strerror(errno));
            return;
        }
        for (unsigned index = 0; index < request.count; ++index) {
            v4l2_buffer buffer{};
            buffer.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
            buffer.memory = V4L2_MEMORY_MMAP;
            buffer.index = index;
            xioctl(node_.get(), VIDIOC_QUERYBUF, &buffer);
            MappedBuffer mapped;
            mapped.length = buffer.length;
            mapped.data = ::mmap(nullptr, buffer.length, PROT_READ | PROT_WRITE, MAP_SHARED,
                                 node_.get(), buffer.m.offset);
            if (mapped.data == MAP_FAILED) {
                std::fprintf(stderr, "uvc-feeder: mmap failed: %s\n", std::strerror(errno));
                stop();
                return;
            }
            buffers_.push_back(mapped);
            free_.push_back(index);
        }
        width_ = frame.width;
        height_ = frame.height;
        fourcc_ = fmt->fourcc;
        int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        // Also completes the host's SET_INTERFACE, which waits for us.
        if (xioctl(node_.get(), VIDIOC_STREAMON, &type) < 0) {
            std::fprintf(stderr, "uvc-feeder: VIDIOC_STREAMON failed: %s\n", std::strerror(errno));
            stop();
            return;
        }
        streaming_ = true;
        int64_t period_ns = int64_t(commit_.dwFrameInterval) * 100;
        itimerspec every{};
        every.it_interval = {static_cast<time_t>(period_ns / 1'000'000'000),
                             static_cast<long>(period_ns % 1'000'000'000)};
        every.it_value = every.it_interval;
        timerfd_settime(timer_.get(), 0, &every, nullptr);
        std::fprintf(stderr, "uvc-feeder: streaming %.4s %dx%d every %lld us\n",
                     reinterpret_cast<const char *>(&fourcc_), width_, height_,
                     static_cast<long long>(period_ns / 1000));
    }

    void stop() {
        itimerspec never{};
        timerfd_settime(timer_.get(), 0, &never, nullptr);
        int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        // Also completes the host's SET_INTERFACE(0), which waits for us.
        xioctl(node_.get(), VIDIOC_STREAMOFF, &type);
        for (const MappedBuffer &mapped : buffers_) {
            ::munmap(mapped.data, mapped.length);
        }
        buffers_.clear();
        free_.clear();
        v4l2_requestbuffers request{};
        request.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        request.memory = V4L2_MEMORY_MMAP;
        xioctl(node_.get(), VIDIOC_REQBUFS, &request);
        if (streaming_) {
            std::fprintf(stderr, "uvc-feeder: stopped after %u frames\n", frame_);
        }
        streaming_ = false;
    }

    // Buffers the function has sent come back.
    void reclaim() {
        v4l2_buffer buffer{};
        buffer.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        buffer.memory = V4L2_MEMORY_MMAP;
        while (xioctl(node_.get(), VIDIOC_DQBUF, &buffer) == 0) {
            free_.push_back(buffer.index);
        }
    }

    // One frame a tick; with no buffer free (the host is slower than the
    // rate), the tick is skipped and the frame number still advances.
    void send_frame() {
        uint32_t number = frame_++;
        if (!streaming_ || free_.empty() || stalled) {
            return;
        }
        unsigned index = free_.front();
        free_.erase(free_.begin());
        MappedBuffer &mapped = buffers_[index];
        size_t used = mapped.length;
        if (fourcc_ == V4L2_PIX_FMT_MJPEG) {
            std::vector<uint8_t> jpeg = encode_jpeg(width_, height_, number);
            used = std::min(jpeg.size(), mapped.length);
            std::memcpy(mapped.data, jpeg.data(), used);
        } else {
            draw_yuyv(static_cast<uint8_t *>(mapped.data), width_, height_, number);
            used = static_cast<size_t>(width_) * height_ * 2;
        }
        v4l2_buffer buffer{};
        buffer.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        buffer.memory = V4L2_MEMORY_MMAP;
        buffer.index = index;
        buffer.bytesused = static_cast<uint32_t>(used);
        if (xioctl(node_.get(), VIDIOC_QBUF, &buffer) < 0) {
            free_.push_back(index);
        }
    }

    UniqueFd node_;
    std::vector<Format> formats_;
    UniqueFd timer_;
    uvc_streaming_control probe_{};
    uvc_streaming_control commit_{};
    int data_for_ = 0; // the control whose SET_CUR data is awaited
    std::vector<MappedBuffer> buffers_;
    std::vector<unsigned> free_;
    bool streaming_ = false;
    int width_ = 0;
    int height_ = 0;
    uint32_t fourcc_ = 0;
    uint32_t frame_ = 0;
};

// The function's V4L2 node: the video4linux device under the UDC whose
// function is this one.
std::string find_node(const fs::path &function) {
    std::string name = function.filename();
    std::error_code error;
    for (const auto &entry : fs::directory_iterator("/sys/class/video4linux", error)) {
        if (read_attribute(entry.path() / "function_name") == name + "\n") {
            return "/dev/" + entry.path().filename().string();
        }
    }
    return "";
}

volatile sig_atomic_t stop_requested = 0;

} // namespace

} // namespace fencecam::uvc_gadget

int main(int argc, char **argv) {
    using namespace fencecam::uvc_gadget;
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FUNCTION-CONFIGFS-DIR\n", argv[0]);
        return 2;
    }
    fs::path function = argv[1];
    std::vector<Format> formats = read_formats(function);
    if (formats.empty() || formats.front().frames.empty()) {
        std::fprintf(stderr, "uvc-feeder: %s describes no formats\n", argv[1]);
        return 1;
    }
    std::string node = find_node(function);
    if (node.empty()) {
        std::fprintf(stderr, "uvc-feeder: no V4L2 node for %s (is the gadget bound to a UDC?)\n",
                     argv[1]);
        return 1;
    }
    fencecam::UniqueFd fd(::open(node.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        std::fprintf(stderr, "uvc-feeder: cannot open %s: %s\n", node.c_str(),
                     std::strerror(errno));
        return 1;
    }
    Feeder feeder(std::move(fd), std::move(formats));
    if (!feeder.subscribe()) {
        return 1;
    }
    std::string error;
    if (!attach_over_loopback(error)) {
        std::fprintf(stderr, "uvc-feeder: cannot plug the gadget in: %s\n", error.c_str());
        return 1;
    }
    std::signal(SIGTERM, [](int) { stop_requested = 1; });
    std::signal(SIGUSR1, [](int) { stalled = 1; });
    std::signal(SIGUSR2, [](int) { stalled = 0; });
    std::fprintf(stderr, "uvc-feeder: %s plugged in through vhci-hcd\n", node.c_str());
    return feeder.run(stop_requested);
}
