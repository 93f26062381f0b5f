// uAPI selftest of the vb2 release fence (kernel/patches), run in the VM on
// vivid loaded with release_fences=1. It checks what fencecam's `fence` sync
// mode relies on: a queue that offers V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES
// and was opted in with V4L2_MEMORY_FLAG_RELEASE_FENCES gives every buffer
// the driver owns an unsignalled write fence in its dma-bufs, which signals
// when (and only when) the frame is done, with an error whenever the frame is
// not good, and on every path by which the buffer leaves the driver.
//
// It fails, never skips, when vivid or the patched kernel is missing: the VM
// harness promised both.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>

#include <gtest/gtest.h>

#include "unique_fd.hpp"
#include "v4l2_camera.hpp" // V4L2_*_RELEASE_FENCES where the system headers lack them

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

// A signalled fence, or none at all (the dma-buf then exports a signalled
// stub): the reader would not wait.
bool settled(int dmabuf) {
    UniqueFd fence = export_sync_file(dmabuf);
    sync_fence_info info{};
    sync_file_info file{};
    file.num_fences = 1;
    file.sync_fence_info = reinterpret_cast<uintptr_t>(&info);
    return fence && xioctl(fence.get(), SYNC_IOC_FILE_INFO, &file) == 0 && info.status != 0;
}

bool wait_signalled(int sync_file, std::chrono::milliseconds timeout) {
    pollfd pfd{sync_file, POLLIN, 0};
    int ret;
    do {
        ret = poll(&pfd, 1, int(timeout.count()));
    } while (ret < 0 && errno == EINTR);
    return ret == 1 && (pfd.revents & POLLIN);
}

// The first vivid node that captures video (single-planar, vivid's default
// for its first instance). After an unplug vivid registers a new node once
// the last user closed the old one: wait for it.
UniqueFd open_vivid_capture() {
    for (int attempt = 0; attempt < 50; ++attempt) {
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
        std::this_thread::sleep_for(100ms);
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

// A queue of vivid's capture node: MMAP buffers exported with VIDIOC_EXPBUF,
// or DMABUF buffers imported from udmabuf, with or without the opt-in.
class ReleaseFenceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dev_ = open_vivid_capture();
        ASSERT_TRUE(dev_) << "no vivid video capture node: load vivid (release_fences=1)";
        error_ctrl_ = find_control(dev_.get(), "Inject V4L2_BUF_FLAG_ERROR");
        drop_ctrl_ = find_control(dev_.get(), "Percentage of Dropped Buffers");
        streamon_error_ctrl_ = find_control(dev_.get(), "Inject VIDIOC_STREAMON Error");
        disconnect_ctrl_ = find_control(dev_.get(), "Disconnect");
        ASSERT_TRUE(error_ctrl_ && drop_ctrl_ && streamon_error_ctrl_ && disconnect_ctrl_)
            << "vivid has no error injection controls (loaded with no_error_inj=1?)";
        ASSERT_TRUE(set_control(*drop_ctrl_, 0));
        v4l2_format fmt{};
        fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        ASSERT_EQ(xioctl(dev_.get(), VIDIOC_G_FMT, &fmt), 0) << strerror(errno);
        sizeimage_ = fmt.fmt.pix.sizeimage;
    }

    void TearDown() override {
        if (!dev_) {
            return;
        }
        set_control(*drop_ctrl_, 0);
        streamoff();
        dmabufs_.clear();
        reqbufs(memory_, 0, 0);
    }

    // VIDIOC_REQBUFS; the flags and capabilities the kernel answered.
    std::optional<v4l2_requestbuffers> reqbufs(uint32_t memory, unsigned count, uint8_t flags) {
        v4l2_requestbuffers req{};
        req.count = count;
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        req.memory = memory;
        req.flags = flags;
        if (xioctl(dev_.get(), VIDIOC_REQBUFS, &req) < 0) {
            return std::nullopt;
        }
        return req;
    }

    UniqueFd expbuf(unsigned index, int access) {
        v4l2_exportbuffer exp{};
        exp.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        exp.index = index;
        exp.flags = access | O_CLOEXEC;
        if (xioctl(dev_.get(), VIDIOC_EXPBUF, &exp) < 0) {
            ADD_FAILURE() << "EXPBUF " << index << ": " << strerror(errno);
            return UniqueFd();
        }
        return UniqueFd(exp.fd);
    }

    // kBuffers MMAP buffers, each exported once, opted in or not.
    void allocate_mmap(bool release_fences) {
        memory_ = V4L2_MEMORY_MMAP;
        auto req = reqbufs(V4L2_MEMORY_MMAP, kBuffers,
                           release_fences ? V4L2_MEMORY_FLAG_RELEASE_FENCES : 0);
        ASSERT_TRUE(req) << strerror(errno);
        ASSERT_EQ(req->count, kBuffers);
        ASSERT_TRUE(req->capabilities & V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES)
            << "vivid does not offer release fences: is this the patched vb2 and vivid loaded "
               "with release_fences=1?";
        ASSERT_EQ(bool(req->flags & V4L2_MEMORY_FLAG_RELEASE_FENCES), release_fences);
        for (unsigned i = 0; i < kBuffers; ++i) {
            dmabufs_.push_back(expbuf(i, O_RDWR));
            ASSERT_TRUE(dmabufs_.back());
        }
    }

    // kBuffers DMABUF buffers backed by udmabuf (memfd pages), opted in.
    void allocate_udmabuf() {
        memory_ = V4L2_MEMORY_DMABUF;
        UniqueFd udmabuf(open("/dev/udmabuf", O_RDWR | O_CLOEXEC));
        ASSERT_TRUE(udmabuf) << "/dev/udmabuf: " << strerror(errno);
        const size_t page = size_t(sysconf(_SC_PAGESIZE));
        const size_t size = (sizeimage_ + page - 1) / page * page;
        for (unsigned i = 0; i < kBuffers; ++i) {
            UniqueFd memfd(memfd_create("vb2-release-fence-test", MFD_ALLOW_SEALING | MFD_CLOEXEC));
            ASSERT_TRUE(memfd) << strerror(errno);
            ASSERT_EQ(ftruncate(memfd.get(), off_t(size)), 0) << strerror(errno);
            ASSERT_EQ(fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK), 0) << strerror(errno);
            udmabuf_create create{};
            create.memfd = uint32_t(memfd.get());
            create.flags = UDMABUF_FLAGS_CLOEXEC;
            create.size = size;
            int fd = xioctl(udmabuf.get(), UDMABUF_CREATE, &create);
            ASSERT_GE(fd, 0) << "UDMABUF_CREATE: " << strerror(errno);
            dmabufs_.emplace_back(fd);
        }
        auto req = reqbufs(V4L2_MEMORY_DMABUF, kBuffers, V4L2_MEMORY_FLAG_RELEASE_FENCES);
        ASSERT_TRUE(req) << strerror(errno);
        ASSERT_TRUE(req->flags & V4L2_MEMORY_FLAG_RELEASE_FENCES)
            << "the opt-in is refused for imported dma-bufs";
    }

    bool set_control(uint32_t id, int32_t value) {
        v4l2_control ctrl{id, value};
        return xioctl(dev_.get(), VIDIOC_S_CTRL, &ctrl) == 0;
    }

    // QBUF, then take the buffer's fence at once, as fencecam does.
    UniqueFd qbuf(unsigned index) {
        v4l2_buffer buf{};
        buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buf.memory = memory_;
        buf.index = index;
        if (memory_ == V4L2_MEMORY_DMABUF) {
            buf.m.fd = dmabufs_[index].get();
            buf.length = sizeimage_;
        }
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
        buf.memory = memory_;
        if (xioctl(dev_.get(), VIDIOC_DQBUF, &buf) < 0) {
            ADD_FAILURE() << "DQBUF: " << strerror(errno);
            return std::nullopt;
        }
        return buf;
    }

    int streamon() {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        return xioctl(dev_.get(), VIDIOC_STREAMON, &type) == 0 ? 0 : errno;
    }

    void streamoff() {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        xioctl(dev_.get(), VIDIOC_STREAMOFF, &type);
    }

    // Every buffer queued and streaming, with the fence each QBUF gave.
    std::vector<UniqueFd> queue_all_and_stream() {
        std::vector<UniqueFd> fences;
        EXPECT_EQ(streamon(), 0) << strerror(errno);
        for (unsigned i = 0; i < kBuffers; ++i) {
            fences.push_back(qbuf(i));
        }
        return fences;
    }

    // The fences came back signalled with an error, none still pending.
    void expect_all_failed(const std::vector<UniqueFd> &fences, const char *after) {
        for (unsigned i = 0; i < fences.size(); ++i) {
            FenceState state = fence_state(fences[i].get());
            EXPECT_LT(state.status, 0) << "buffer " << i << " after " << after;
        }
    }

    void expect_frames_signal_fences() {
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
            EXPECT_EQ(queued.status, 0) << "no pending fence after QBUF";
            EXPECT_EQ(queued.driver, "videobuf2");
            EXPECT_TRUE(wait_signalled(fences[buf->index].get(), 2s));
        }
    }

    UniqueFd dev_;
    uint32_t memory_ = V4L2_MEMORY_MMAP;
    uint32_t sizeimage_ = 0;
    std::vector<UniqueFd> dmabufs_;
    std::optional<uint32_t> error_ctrl_;
    std::optional<uint32_t> drop_ctrl_;
    std::optional<uint32_t> streamon_error_ctrl_;
    std::optional<uint32_t> disconnect_ctrl_;
};

// The capability is reported, the opt-in is kept for MMAP and DMABUF and
// cleared where it cannot work (USERPTR), and CREATE_BUFS must agree with
// the buffers already there.
TEST_F(ReleaseFenceTest, CapabilityAndOptIn) {
    auto userptr = reqbufs(V4L2_MEMORY_USERPTR, 0, V4L2_MEMORY_FLAG_RELEASE_FENCES);
    ASSERT_TRUE(userptr) << strerror(errno);
    EXPECT_TRUE(userptr->capabilities & V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES);
    EXPECT_FALSE(userptr->flags & V4L2_MEMORY_FLAG_RELEASE_FENCES)
        << "USERPTR buffers have no dma-buf to carry a fence";

    allocate_mmap(true);
    v4l2_create_buffers create{};
    create.count = 1;
    create.memory = V4L2_MEMORY_MMAP;
    create.format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    ASSERT_EQ(xioctl(dev_.get(), VIDIOC_G_FMT, &create.format), 0);
    create.flags = 0;
    int ret = xioctl(dev_.get(), VIDIOC_CREATE_BUFS, &create);
    int error = errno;
    EXPECT_LT(ret, 0) << "CREATE_BUFS without the opt-in added buffers to an opted-in queue";
    EXPECT_EQ(error, EINVAL);
    create.flags = V4L2_MEMORY_FLAG_RELEASE_FENCES;
    ASSERT_EQ(xioctl(dev_.get(), VIDIOC_CREATE_BUFS, &create), 0) << strerror(errno);
    EXPECT_TRUE(create.flags & V4L2_MEMORY_FLAG_RELEASE_FENCES);
    EXPECT_TRUE(create.capabilities & V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES);
}

// Without the opt-in nothing changes: a queued buffer's dma-buf exports a
// signalled stub, as on mainline.
TEST_F(ReleaseFenceTest, NoFencesWithoutOptIn) {
    allocate_mmap(false);
    auto fences = queue_all_and_stream();
    for (unsigned i = 0; i < kBuffers; ++i) {
        ASSERT_TRUE(fences[i]);
        EXPECT_EQ(fence_state(fences[i].get()).status, 1) << "buffer " << i;
    }
}

// The fence exists and is pending after QBUF, signals when the frame is done,
// and never later than DQBUF can return that frame.
TEST_F(ReleaseFenceTest, SignalsWhenFrameCompletesNotAfterDqbuf) {
    allocate_mmap(true);
    expect_frames_signal_fences();
}

// Imported dma-bufs (V4L2_MEMORY_DMABUF) get the fence in their own
// reservation object.
TEST_F(ReleaseFenceTest, ImportedDmabufsCarryTheFence) {
    allocate_udmabuf();
    expect_frames_signal_fences();
}

// Every dma-buf of a plane shares its reservation object: one exported after
// QBUF, and a read-only one, carry the pending fence too.
TEST_F(ReleaseFenceTest, ExportsAfterQbufAndReadOnlyShareTheFence) {
    allocate_mmap(true);
    ASSERT_TRUE(set_control(*drop_ctrl_, 100)) << strerror(errno);
    auto fences = queue_all_and_stream();
    UniqueFd late = expbuf(0, O_RDWR);
    UniqueFd read_only = expbuf(1, O_RDONLY);
    ASSERT_TRUE(late && read_only);
    EXPECT_FALSE(settled(late.get())) << "a dma-buf exported after QBUF has no pending fence";
    EXPECT_FALSE(settled(read_only.get())) << "a read-only export has no pending fence";
    streamoff();
    EXPECT_TRUE(settled(late.get()));
    EXPECT_TRUE(settled(read_only.get()));
}

// A frame vivid flags V4L2_BUF_FLAG_ERROR has a fence that signals -EIO.
TEST_F(ReleaseFenceTest, ErrorFrameSignalsEio) {
    allocate_mmap(true);
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

// With every frame dropped, fences stay pending (nothing signals them behind
// the driver's back) until STREAMOFF returns the buffers, with an error.
TEST_F(ReleaseFenceTest, DroppedFramesKeepFencesPendingUntilStreamoff) {
    allocate_mmap(true);
    ASSERT_TRUE(set_control(*drop_ctrl_, 100)) << strerror(errno);
    auto fences = queue_all_and_stream();
    std::this_thread::sleep_for(2500ms);
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_EQ(fence_state(fences[i].get()).status, 0) << "buffer " << i;
    }
    streamoff();
    expect_all_failed(fences, "STREAMOFF");
}

// Fences exist only while the driver owns buffers, that is while streaming,
// where REQBUFS(0) is refused (EBUSY) and leaves them pending. Queued but
// not streaming, buffers have no fence and REQBUFS(0) frees them; the
// dma-bufs outlive the buffers.
TEST_F(ReleaseFenceTest, ReqbufsZeroNeverStrandsAFence) {
    allocate_mmap(true);
    ASSERT_TRUE(set_control(*drop_ctrl_, 100)) << strerror(errno);
    auto fences = queue_all_and_stream();
    auto refused = reqbufs(V4L2_MEMORY_MMAP, 0, 0);
    int error = errno;
    EXPECT_FALSE(refused) << "REQBUFS(0) while streaming";
    EXPECT_EQ(error, EBUSY);
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_EQ(fence_state(fences[i].get()).status, 0) << "buffer " << i;
    }
    streamoff();
    expect_all_failed(fences, "STREAMOFF");
    for (unsigned i = 0; i < kBuffers; ++i) {
        ASSERT_TRUE(qbuf(i));
        EXPECT_TRUE(settled(dmabufs_[i].get())) << "a fence before STREAMON";
    }
    ASSERT_TRUE(reqbufs(V4L2_MEMORY_MMAP, 0, 0)) << strerror(errno);
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_TRUE(settled(dmabufs_[i].get())) << "buffer " << i;
    }
}

// Closing the device with buffers in the driver signals their fences.
TEST_F(ReleaseFenceTest, CloseSignalsPendingFences) {
    allocate_mmap(true);
    ASSERT_TRUE(set_control(*drop_ctrl_, 100)) << strerror(errno);
    auto fences = queue_all_and_stream();
    dev_.reset();
    expect_all_failed(fences, "close()");
    dev_ = open_vivid_capture();
    ASSERT_TRUE(dev_);
    ASSERT_TRUE(set_control(*drop_ctrl_, 0));
}

// A start_streaming that fails gets the buffers back unprocessed: STREAMON
// fails, and no fence was ever published; a second STREAMON arms them.
TEST_F(ReleaseFenceTest, FailedStartStreamingPublishesNoFence) {
    allocate_mmap(true);
    ASSERT_TRUE(set_control(*drop_ctrl_, 100)) << strerror(errno);
    for (unsigned i = 0; i < kBuffers; ++i) {
        ASSERT_TRUE(qbuf(i));
    }
    ASSERT_TRUE(set_control(*streamon_error_ctrl_, 1)) << strerror(errno);
    EXPECT_NE(streamon(), 0) << "vivid's injected STREAMON error did not fail STREAMON";
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_TRUE(settled(dmabufs_[i].get())) << "buffer " << i << ": fence after failed start";
    }
    ASSERT_EQ(streamon(), 0) << strerror(errno);
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_FALSE(settled(dmabufs_[i].get())) << "buffer " << i << ": no fence after STREAMON";
    }
}

// Unplugging the camera (vivid's "Disconnect") with fences pending: the node
// is gone (ioctls fail with ENODEV) and the fences signal, at the latest when
// the application closes it, as after a USB unplug. Last: vivid registers the
// node again once the old one is closed.
TEST_F(ReleaseFenceTest, UnplugSignalsPendingFences) {
    allocate_mmap(true);
    ASSERT_TRUE(set_control(*drop_ctrl_, 100)) << strerror(errno);
    auto fences = queue_all_and_stream();
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_EQ(fence_state(fences[i].get()).status, 0) << "buffer " << i;
    }
    ASSERT_TRUE(set_control(*disconnect_ctrl_, 1)) << strerror(errno);
    v4l2_buffer buf{};
    buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buf.memory = V4L2_MEMORY_MMAP;
    int ret = xioctl(dev_.get(), VIDIOC_DQBUF, &buf);
    int error = errno;
    EXPECT_LT(ret, 0);
    EXPECT_EQ(error, ENODEV) << "the node is still there after the unplug";
    dev_.reset();
    expect_all_failed(fences, "unplug and close()");
    dev_ = open_vivid_capture();
    ASSERT_TRUE(dev_) << "vivid did not come back after the unplug";
    ASSERT_TRUE(set_control(*drop_ctrl_, 0));
}

} // namespace
