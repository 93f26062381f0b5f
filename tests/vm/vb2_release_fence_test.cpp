// uAPI selftest of the vb2 release fence (kernel/patches), run in the VM on
// vivid loaded with release_fences=1. It checks what fencecam's `fence` sync
// mode relies on: a dma-buf exported from a queued buffer carries an
// unsignalled write fence that signals when (and only when) the frame is
// done, with an error whenever the frame is not good.
//
// It fails, never skips, when vivid or the patched kernel is missing: the VM
// harness promised both.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/videodev2.h>

#include <gtest/gtest.h>

#include "unique_fd.hpp"

namespace {

using fencecam::UniqueFd;
using namespace std::chrono_literals;

constexpr unsigned kBuffers = 4;

int xioctl(int fd, unsigned long request, void *arg) {
    int ret;
    do {
        ret = ioctl(fd, request, arg);
    } while (ret < 0 && errno == EINTR);
    return ret;
}

int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// What SYNC_IOC_FILE_INFO says about a sync_file holding one fence.
struct FenceState {
    int status = 0; // 1 signalled, 0 active, < 0 error
    int64_t timestamp_ns = 0;
    std::string driver;
};

FenceState fence_state(int sync_file) {
    sync_fence_info fence{};
    sync_file_info info{};
    info.num_fences = 1;
    info.sync_fence_info = reinterpret_cast<uintptr_t>(&fence);
    if (xioctl(sync_file, SYNC_IOC_FILE_INFO, &info) < 0) {
        ADD_FAILURE() << "SYNC_IOC_FILE_INFO: " << strerror(errno);
        return {};
    }
    EXPECT_EQ(info.num_fences, 1u) << "a vb2 dma-buf should carry exactly one write fence";
    return {fence.status, int64_t(fence.timestamp_ns), fence.driver_name};
}

// The fences a reader of the dma-buf has to wait for: the writer's.
UniqueFd export_sync_file(int dmabuf) {
    dma_buf_export_sync_file arg{};
    arg.flags = DMA_BUF_SYNC_READ;
    if (xioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg) < 0) {
        ADD_FAILURE() << "DMA_BUF_IOCTL_EXPORT_SYNC_FILE: " << strerror(errno);
        return UniqueFd();
    }
    return UniqueFd(arg.fd);
}

bool wait_signalled(int sync_file, std::chrono::milliseconds timeout) {
    pollfd pfd{sync_file, POLLIN, 0};
    int ret;
    do {
        ret = poll(&pfd, 1, int(timeout.count()));
    } while (ret < 0 && errno == EINTR);
    return ret == 1 && (pfd.revents & POLLIN);
}

std::string read_file(const std::string &path) {
    std::ifstream in(path);
    std::string s;
    std::getline(in, s);
    return s;
}

// The first vivid node that captures video (single-planar, vivid's default
// for its first instance).
UniqueFd open_vivid_capture() {
    for (int i = 0; i < 64; ++i) {
        std::string path = "/dev/video" + std::to_string(i);
        UniqueFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!fd) {
            continue;
        }
        v4l2_capability cap{};
        if (xioctl(fd.get(), VIDIOC_QUERYCAP, &cap) < 0) {
            continue;
        }
        uint32_t caps =
            (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
        if (std::string(reinterpret_cast<char *>(cap.driver)) == "vivid" &&
            (caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING)) {
            return fd;
        }
    }
    return UniqueFd();
}

// vivid's controls are found by name: their ids are private to the driver.
std::optional<uint32_t> find_control(int fd, const std::string &name) {
    v4l2_query_ext_ctrl q{};
    q.id = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
    while (xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0) {
        if (name == q.name) {
            return q.id;
        }
        q.id |= V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
    }
    return std::nullopt;
}

class ReleaseFenceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dev_ = open_vivid_capture();
        ASSERT_TRUE(dev_) << "no vivid video capture node: load vivid (release_fences=1)";
        error_ctrl_ = find_control(dev_.get(), "Inject V4L2_BUF_FLAG_ERROR");
        drop_ctrl_ = find_control(dev_.get(), "Percentage of Dropped Buffers");
        ASSERT_TRUE(error_ctrl_ && drop_ctrl_)
            << "vivid has no error injection controls (loaded with no_error_inj=1?)";
        ASSERT_TRUE(set_control(*drop_ctrl_, 0));

        v4l2_requestbuffers req{};
        req.count = kBuffers;
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        req.memory = V4L2_MEMORY_MMAP;
        ASSERT_EQ(xioctl(dev_.get(), VIDIOC_REQBUFS, &req), 0) << strerror(errno);
        ASSERT_EQ(req.count, kBuffers);
        for (unsigned i = 0; i < kBuffers; ++i) {
            v4l2_exportbuffer exp{};
            exp.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
            exp.index = i;
            exp.flags = O_RDWR | O_CLOEXEC;
            ASSERT_EQ(xioctl(dev_.get(), VIDIOC_EXPBUF, &exp), 0) << strerror(errno);
            dmabufs_.emplace_back(exp.fd);
        }
    }

    void TearDown() override {
        if (!dev_) {
            return;
        }
        if (drop_ctrl_) {
            set_control(*drop_ctrl_, 0);
        }
        streamoff();
        dmabufs_.clear();
        v4l2_requestbuffers req{};
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        req.memory = V4L2_MEMORY_MMAP;
        xioctl(dev_.get(), VIDIOC_REQBUFS, &req);
    }

    bool set_control(uint32_t id, int32_t value) {
        v4l2_control ctrl{id, value};
        return xioctl(dev_.get(), VIDIOC_S_CTRL, &ctrl) == 0;
    }

    // QBUF, then take the buffer's fence at once, as fencecam does.
    UniqueFd qbuf(unsigned index) {
        v4l2_buffer buf{};
        buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buf.memory = V4L2_MEMORY_MMAP;
        buf.index = index;
        if (xioctl(dev_.get(), VIDIOC_QBUF, &buf) < 0) {
            ADD_FAILURE() << "QBUF " << index << ": " << strerror(errno);
            return UniqueFd();
        }
        return export_sync_file(dmabufs_[index].get());
    }

    // Blocking DQBUF (vivid produces about 30-60 frames a second).
    std::optional<v4l2_buffer> dqbuf() {
        pollfd pfd{dev_.get(), POLLIN, 0};
        if (poll(&pfd, 1, 3000) != 1) {
            ADD_FAILURE() << "no frame within 3 s";
            return std::nullopt;
        }
        v4l2_buffer buf{};
        buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buf.memory = V4L2_MEMORY_MMAP;
        if (xioctl(dev_.get(), VIDIOC_DQBUF, &buf) < 0) {
            ADD_FAILURE() << "DQBUF: " << strerror(errno);
            return std::nullopt;
        }
        return buf;
    }

    void streamon() {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        ASSERT_EQ(xioctl(dev_.get(), VIDIOC_STREAMON, &type), 0) << strerror(errno);
    }

    void streamoff() {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        xioctl(dev_.get(), VIDIOC_STREAMOFF, &type);
    }

    // Every buffer queued and streaming, with the fence each QBUF gave.
    std::vector<UniqueFd> queue_all_and_stream() {
        std::vector<UniqueFd> fences;
        streamon();
        for (unsigned i = 0; i < kBuffers; ++i) {
            fences.push_back(qbuf(i));
        }
        return fences;
    }

    UniqueFd dev_;
    std::vector<UniqueFd> dmabufs_;
    std::optional<uint32_t> error_ctrl_;
    std::optional<uint32_t> drop_ctrl_;
};

// The fence exists and is pending after QBUF, signals when the frame is done,
// and never later than DQBUF can return that frame.
TEST_F(ReleaseFenceTest, SignalsWhenFrameCompletesNotAfterDqbuf) {
    auto fences = queue_all_and_stream();
    for (int round = 0; round < 8; ++round) {
        auto buf = dqbuf();
        ASSERT_TRUE(buf);
        const int64_t dqbuf_ns = monotonic_ns();
        FenceState done = fence_state(fences[buf->index].get());
        EXPECT_EQ(done.status, 1) << "the frame was dequeued but its fence did not signal";
        EXPECT_LE(done.timestamp_ns, dqbuf_ns) << "fence signalled after DQBUF returned";
        EXPECT_FALSE(buf->flags & V4L2_BUF_FLAG_ERROR);

        // Three buffers are queued before this one: its frame is at least
        // one frame period away, so its fence must still be pending.
        fences[buf->index] = qbuf(buf->index);
        ASSERT_TRUE(fences[buf->index]);
        FenceState queued = fence_state(fences[buf->index].get());
        EXPECT_EQ(queued.status, 0) << "no pending fence after QBUF: is this the patched vb2 "
                                       "and vivid loaded with release_fences=1?";
        EXPECT_EQ(queued.driver, "videobuf2");

        EXPECT_TRUE(wait_signalled(fences[buf->index].get(), 2s));
    }
}

// A frame vivid flags V4L2_BUF_FLAG_ERROR has a fence that signals -EIO.
TEST_F(ReleaseFenceTest, ErrorFrameSignalsEio) {
    auto fences = queue_all_and_stream();
    ASSERT_TRUE(set_control(*error_ctrl_, 1)) << strerror(errno);
    // Frames completed before the control took effect are fine; the first
    // one after it is the error frame.
    bool seen_error = false;
    for (int round = 0; round < 2 * int(kBuffers) && !seen_error; ++round) {
        auto buf = dqbuf();
        ASSERT_TRUE(buf);
        FenceState state = fence_state(fences[buf->index].get());
        if (buf->flags & V4L2_BUF_FLAG_ERROR) {
            seen_error = true;
            EXPECT_EQ(state.status, -EIO);
        } else {
            EXPECT_EQ(state.status, 1);
        }
        fences[buf->index] = qbuf(buf->index);
    }
    EXPECT_TRUE(seen_error) << "vivid returned no V4L2_BUF_FLAG_ERROR frame";
}

// STREAMOFF signals every fence still pending, with an error.
TEST_F(ReleaseFenceTest, StreamoffSignalsOutstandingFencesWithError) {
    auto fences = queue_all_and_stream();
    std::vector<bool> pending;
    for (auto &f : fences) {
        pending.push_back(fence_state(f.get()).status == 0);
    }
    streamoff();
    int errors = 0;
    for (unsigned i = 0; i < kBuffers; ++i) {
        FenceState state = fence_state(fences[i].get());
        EXPECT_NE(state.status, 0) << "buffer " << i << ": fence still pending after STREAMOFF";
        if (pending[i]) {
            EXPECT_TRUE(state.status == -ECANCELED || state.status == 1)
                << "buffer " << i << ": status " << state.status;
        }
        errors += state.status == -ECANCELED;
    }
    // Right after STREAMON at most a frame or two can have completed.
    EXPECT_GE(errors, 1) << "no fence was cancelled by STREAMOFF";
}

// With every frame dropped, fences stay pending until STREAMOFF cancels them.
TEST_F(ReleaseFenceTest, DroppedFramesKeepFencesPendingUntilStreamoff) {
    ASSERT_TRUE(set_control(*drop_ctrl_, 100)) << strerror(errno);
    auto fences = queue_all_and_stream();
    std::this_thread::sleep_for(500ms);
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_EQ(fence_state(fences[i].get()).status, 0) << "buffer " << i;
    }
    streamoff();
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_EQ(fence_state(fences[i].get()).status, -ECANCELED) << "buffer " << i;
    }
}

// The finite-time guarantee: a buffer the driver never completes still has
// its fence signalled, with -ETIME, after release_fence_timeout_ms.
TEST_F(ReleaseFenceTest, StalledFrameFenceTimesOut) {
    std::string param = read_file("/sys/module/vivid/parameters/release_fence_timeout_ms");
    ASSERT_FALSE(param.empty()) << "vivid has no release_fence_timeout_ms parameter";
    auto bound = std::chrono::milliseconds(std::stoul(param) ? std::stoul(param) : 2000);

    ASSERT_TRUE(set_control(*drop_ctrl_, 100)) << strerror(errno);
    auto fences = queue_all_and_stream();
    const auto start = std::chrono::steady_clock::now();
    for (unsigned i = 0; i < kBuffers; ++i) {
        ASSERT_TRUE(wait_signalled(fences[i].get(), bound + 2s)) << "buffer " << i;
        EXPECT_EQ(fence_state(fences[i].get()).status, -ETIME) << "buffer " << i;
    }
    EXPECT_GE(std::chrono::steady_clock::now() - start, bound - 100ms)
        << "fences timed out before the bound";
}

} // namespace
