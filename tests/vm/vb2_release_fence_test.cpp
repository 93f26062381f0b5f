// uAPI selftest of the vb2 release fence (kernel/patches), run in the VM on
// vivid loaded with release_fences=1. It checks what fencecam's `fence` sync
// mode relies on: a queue that offers V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES
// and was opted in with V4L2_MEMORY_FLAG_RELEASE_FENCES gives every buffer
// the driver owns an unsignalled write fence in its dma-bufs, which signals
// when (and only when) the frame is done, with an error whenever the frame is
// not good, and on every path by which the buffer leaves the driver.
//
// The same fence also comes straight from VIDIOC_QBUF as a sync_file when the
// application asks with V4L2_BUF_FLAG_OUT_FENCE (explicit synchronisation).
// Multi-planar queues are checked on vivid's multi-planar instance.
//
// It fails, never skips, when vivid or the patched kernel is missing: the VM
// harness promised both.
//
// Another camera: FENCECAM_SELFTEST_CAMERA names its node, and
// FENCECAM_SELFTEST_STALL_PID_FILE the file holding the pid of the process
// that feeds it (the VM's UVC gadget feeder), which stops sending frames on
// SIGUSR1 and sends them again on SIGUSR2: that is how the camera stalls,
// where vivid drops every frame. Only the tests that need no vivid control
// can run on it (meson.build picks them).
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>
#include <linux/userfaultfd.h>
#include <linux/videodev2.h>

#include <gtest/gtest.h>

#include "release_fence_uapi.hpp" // the series' uAPI where the system headers lack it
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

// How many fences two sync_files hold together. sync_file merges fences of
// one context (a vb2 buffer's timeline) into one, and drops signalled ones:
// for two pending files, 1 means they hold the same buffer's fence.
unsigned merged_fence_count(int a, int b) {
    sync_merge_data merge{};
    std::strcpy(merge.name, "merged");
    merge.fd2 = b;
    if (xioctl(a, SYNC_IOC_MERGE, &merge) < 0) {
        ADD_FAILURE() << "SYNC_IOC_MERGE: " << strerror(errno);
        return 0;
    }
    UniqueFd merged(merge.fence);
    sync_file_info info{}; // num_fences 0: the kernel says how many
    if (xioctl(merged.get(), SYNC_IOC_FILE_INFO, &info) < 0) {
        ADD_FAILURE() << "SYNC_IOC_FILE_INFO: " << strerror(errno);
        return 0;
    }
    return info.num_fences;
}

// This process's open file descriptors: failure paths must not add any.
int open_fd_count() {
    int count = 0;
    if (DIR *dir = opendir("/proc/self/fd")) {
        while (dirent *entry = readdir(dir)) {
            count += entry->d_name[0] != '.';
        }
        closedir(dir);
    }
    return count - 1; // the directory stream's own
}

bool close_on_exec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC);
}

bool wait_signalled(int sync_file, std::chrono::milliseconds timeout) {
    pollfd pfd{sync_file, POLLIN, 0};
    int ret;
    do {
        ret = poll(&pfd, 1, int(timeout.count()));
    } while (ret < 0 && errno == EINTR);
    return ret == 1 && (pfd.revents & POLLIN);
}

// A page of memory that is not there until the test says so (userfaultfd):
// a system call that copies from it sleeps, with whatever locks it holds,
// until release() fills it. Faults taken by the kernel need a privileged
// userfaultfd; the VM runs the tests as root.
class MissingPage {
  public:
    MissingPage() {
        size_ = size_t(sysconf(_SC_PAGESIZE));
        uffd_.reset(int(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK)));
        if (!uffd_) {
            error = std::string("userfaultfd: ") + strerror(errno);
            return;
        }
        uffdio_api api{};
        api.api = UFFD_API;
        if (xioctl(uffd_.get(), UFFDIO_API, &api) < 0) {
            error = std::string("UFFDIO_API: ") + strerror(errno);
            return;
        }
        void *map =
            mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED) {
            error = std::string("mmap: ") + strerror(errno);
            return;
        }
        address_ = static_cast<char *>(map);
        uffdio_register reg{};
        reg.range = {uintptr_t(address_), size_};
        reg.mode = UFFDIO_REGISTER_MODE_MISSING;
        if (xioctl(uffd_.get(), UFFDIO_REGISTER, &reg) < 0) {
            error = std::string("UFFDIO_REGISTER: ") + strerror(errno);
        }
    }
    ~MissingPage() {
        release("");
        if (address_) {
            munmap(address_, size_);
        }
    }
    MissingPage(const MissingPage &) = delete;
    MissingPage &operator=(const MissingPage &) = delete;

    char *address() const { return address_; }

    // Whether something touched the page within `timeout`.
    bool wait_for_fault(std::chrono::milliseconds timeout) {
        pollfd pfd{uffd_.get(), POLLIN, 0};
        if (poll(&pfd, 1, int(timeout.count())) != 1) {
            return false;
        }
        uffd_msg msg{};
        return read(uffd_.get(), &msg, sizeof(msg)) == ssize_t(sizeof(msg)) &&
               msg.event == UFFD_EVENT_PAGEFAULT;
    }

    // Fills the page with `contents` and wakes whoever waits for it.
    void release(const char *contents) {
        if (released_ || !address_ || !error.empty()) {
            return;
        }
        std::vector<char> page(size_);
        std::strncpy(page.data(), contents, size_ - 1);
        uffdio_copy copy{};
        copy.dst = uintptr_t(address_);
        copy.src = uintptr_t(page.data());
        copy.len = size_;
        released_ = xioctl(uffd_.get(), UFFDIO_COPY, &copy) == 0;
    }

    std::string error;

  private:
    UniqueFd uffd_;
    char *address_ = nullptr;
    size_t size_ = 0;
    bool released_ = false;
};

// The first vivid node that captures video with the given API: the
// single-planar one (vivid's first instance) by default. After an unplug
// vivid registers a new node once the last user closed the old one: wait for
// it.
UniqueFd open_vivid_capture(uint32_t capability = V4L2_CAP_VIDEO_CAPTURE) {
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
                (caps & capability) && (caps & V4L2_CAP_STREAMING)) {
                return fd;
            }
        }
        std::this_thread::sleep_for(100ms);
    }
    return UniqueFd();
}

// The camera under test: FENCECAM_SELFTEST_CAMERA, else vivid's first
// capture node. A camera unplugged and plugged again may come back under a
// new node: the variable then names a stable path (/dev/v4l/by-id).
UniqueFd open_capture() {
    if (const char *camera = getenv("FENCECAM_SELFTEST_CAMERA")) {
        for (int attempt = 0; attempt < 50; ++attempt) {
            if (UniqueFd fd(open(camera, O_RDWR | O_CLOEXEC)); fd) {
                return fd;
            }
            std::this_thread::sleep_for(100ms);
        }
        return UniqueFd();
    }
    return open_vivid_capture();
}

// The process that feeds FENCECAM_SELFTEST_CAMERA, if one is named.
std::optional<pid_t> feeder_pid() {
    const char *path = getenv("FENCECAM_SELFTEST_STALL_PID_FILE");
    if (!path) {
        return std::nullopt;
    }
    FILE *file = fopen(path, "re");
    if (!file) {
        return std::nullopt;
    }
    long pid = 0;
    const bool read = fscanf(file, "%ld", &pid) == 1;
    fclose(file);
    return read && pid > 0 ? std::optional<pid_t>(pid_t(pid)) : std::nullopt;
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
        if (getenv("FENCECAM_SELFTEST_CAMERA")) {
            dev_ = open_capture();
            ASSERT_TRUE(dev_) << "cannot open FENCECAM_SELFTEST_CAMERA: " << strerror(errno);
            feeder_ = feeder_pid();
            ASSERT_TRUE(feeder_) << "FENCECAM_SELFTEST_STALL_PID_FILE names no process: "
                                    "without it the camera cannot be stalled";
        } else {
            dev_ = open_vivid_capture();
            ASSERT_TRUE(dev_) << "no vivid video capture node: load vivid (release_fences=1)";
            error_ctrl_ = find_control(dev_.get(), "Inject V4L2_BUF_FLAG_ERROR");
            drop_ctrl_ = find_control(dev_.get(), "Percentage of Dropped Buffers");
            streamon_error_ctrl_ = find_control(dev_.get(), "Inject VIDIOC_STREAMON Error");
            disconnect_ctrl_ = find_control(dev_.get(), "Disconnect");
            ASSERT_TRUE(error_ctrl_ && drop_ctrl_ && streamon_error_ctrl_ && disconnect_ctrl_)
                << "vivid has no error injection controls (loaded with no_error_inj=1?)";
        }
        ASSERT_TRUE(stall(false));
        v4l2_format fmt{};
        fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        ASSERT_EQ(xioctl(dev_.get(), VIDIOC_G_FMT, &fmt), 0) << strerror(errno);
        sizeimage_ = fmt.fmt.pix.sizeimage;
    }

    void TearDown() override {
        stall(false);
        if (!dev_) {
            return;
        }
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

    // A camera that delivers nothing while stalled: its queued buffers stay
    // with the driver, their fences pending. vivid drops every frame; another
    // camera's feeder stops sending them. (Stopping the feeder outright would
    // also leave the host's STREAMON unanswered.)
    bool stall(bool stalled) {
        if (feeder_) {
            return kill(*feeder_, stalled ? SIGUSR1 : SIGUSR2) == 0;
        }
        return drop_ctrl_ && set_control(*drop_ctrl_, stalled ? 100 : 0);
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

    // QBUF asking for the release fence as a sync_file; what QBUF returned,
    // or nothing (errno set) if it failed.
    std::optional<v4l2_buffer> qbuf_asking_out_fence(unsigned index, uint32_t more_flags = 0) {
        v4l2_buffer buf{};
        buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buf.memory = memory_;
        buf.index = index;
        buf.flags = V4L2_BUF_FLAG_OUT_FENCE | more_flags;
        if (memory_ == V4L2_MEMORY_DMABUF) {
            buf.m.fd = dmabufs_[index].get();
            buf.length = sizeimage_;
        }
        if (xioctl(dev_.get(), VIDIOC_QBUF, &buf) < 0) {
            return std::nullopt;
        }
        return buf;
    }

    // QBUF while streaming: the out-fence it must return.
    UniqueFd qbuf_out_fence(unsigned index) {
        auto buf = qbuf_asking_out_fence(index);
        if (!buf) {
            ADD_FAILURE() << "QBUF " << index
                          << " with V4L2_BUF_FLAG_OUT_FENCE: " << strerror(errno);
            return UniqueFd();
        }
        EXPECT_TRUE(buf->flags & V4L2_BUF_FLAG_OUT_FENCE) << "QBUF returned no out-fence";
        UniqueFd fence(fencecam::qbuf_fence_fd(*buf));
        EXPECT_TRUE(fence) << "V4L2_BUF_FLAG_OUT_FENCE set but fence_fd "
                           << int32_t(buf->reserved2);
        EXPECT_TRUE(close_on_exec(fence.get())) << "the out-fence is not O_CLOEXEC";
        return fence;
    }

    bool queued(unsigned index) {
        v4l2_buffer buf{};
        buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buf.memory = memory_;
        buf.index = index;
        EXPECT_EQ(xioctl(dev_.get(), VIDIOC_QUERYBUF, &buf), 0) << strerror(errno);
        return buf.flags & V4L2_BUF_FLAG_QUEUED;
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

    // Streaming with every frame dropped, each buffer queued with an
    // out-fence: the fences stay pending until frames flow again.
    std::vector<UniqueFd> stall_with_out_fences() {
        std::vector<UniqueFd> out;
        EXPECT_TRUE(stall(true)) << strerror(errno);
        EXPECT_EQ(streamon(), 0) << strerror(errno);
        for (unsigned i = 0; i < kBuffers; ++i) {
            out.push_back(qbuf_out_fence(i));
            EXPECT_TRUE(out.back()) << "buffer " << i;
        }
        return out;
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
            EXPECT_TRUE(wait_signalled(fences[buf->index].get(), 0ms)) << "poll() not ready";
            FenceState done = fence_state(fences[buf->index].get());
            EXPECT_EQ(done.status, 1) << "the frame was dequeued but its fence did not signal";
            EXPECT_LE(done.timestamp_ns, dqbuf_ns) << "fence signalled after DQBUF returned";
            EXPECT_FALSE(buf->flags & V4L2_BUF_FLAG_ERROR);

            // The other buffers are queued before this one (the loop does not
            // wait for it, which would let them all complete first): its frame
            // is at least one frame period away, so its fence is pending.
            fences[buf->index] = qbuf(buf->index);
            ASSERT_TRUE(fences[buf->index]);
            FenceState queued = fence_state(fences[buf->index].get());
            EXPECT_EQ(queued.status, 0) << "no pending fence after QBUF";
            EXPECT_EQ(queued.driver, "videobuf2");
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
    std::optional<pid_t> feeder_; // another camera's feeder, told to stall it
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
    EXPECT_TRUE(create.capabilities & V4L2_BUF_CAP_SUPPORTS_OUT_FENCE)
        << "QBUF cannot hand out the release fence";
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
    ASSERT_TRUE(stall(true)) << strerror(errno);
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
    ASSERT_TRUE(stall(true)) << strerror(errno);
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
    ASSERT_TRUE(stall(true)) << strerror(errno);
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
    ASSERT_TRUE(stall(true)) << strerror(errno);
    auto fences = queue_all_and_stream();
    dev_.reset();
    expect_all_failed(fences, "close()");
    dev_ = open_capture();
    ASSERT_TRUE(dev_);
    ASSERT_TRUE(stall(false));
}

// A start_streaming that fails gets the buffers back unprocessed: STREAMON
// fails, and no fence was ever published; a second STREAMON arms them.
TEST_F(ReleaseFenceTest, FailedStartStreamingPublishesNoFence) {
    allocate_mmap(true);
    ASSERT_TRUE(stall(true)) << strerror(errno);
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

// VIDIOC_QBUF with V4L2_BUF_FLAG_OUT_FENCE while streaming returns the
// release fence itself as a sync_file (O_CLOEXEC): pending after QBUF,
// signalled when the frame is done and no later than DQBUF returns it, and
// the very fence the buffer's dma-buf carries (the two merge into one and
// signal at the same instant).
TEST_F(ReleaseFenceTest, OutFenceFromQbufIsTheReleaseFence) {
    allocate_mmap(true);
    // No frame completes while the first fences are taken and compared.
    ASSERT_TRUE(stall(true)) << strerror(errno);
    ASSERT_EQ(streamon(), 0) << strerror(errno);
    std::vector<UniqueFd> out(kBuffers);
    std::vector<UniqueFd> exported(kBuffers);
    for (unsigned i = 0; i < kBuffers; ++i) {
        out[i] = qbuf_out_fence(i);
        exported[i] = export_sync_file(dmabufs_[i].get());
        ASSERT_TRUE(out[i] && exported[i]);
        EXPECT_EQ(fence_state(out[i].get()).status, 0) << "buffer " << i;
        EXPECT_EQ(merged_fence_count(out[i].get(), exported[i].get()), 1u) << "buffer " << i;
    }
    ASSERT_TRUE(stall(false)) << strerror(errno);
    for (int round = 0; round < 8; ++round) {
        auto buf = dqbuf();
        ASSERT_TRUE(buf);
        const int64_t dqbuf_ns = monotonic_ns();
        const unsigned index = buf->index;
        FenceState done = fence_state(out[index].get());
        EXPECT_EQ(done.status, 1) << "the frame was dequeued but its out-fence did not signal";
        EXPECT_LE(done.timestamp_ns, dqbuf_ns) << "out-fence signalled after DQBUF returned";
        EXPECT_EQ(done.timestamp_ns, fence_state(exported[index].get()).timestamp_ns)
            << "the out-fence and the dma-buf's fence signalled apart: two fences";

        // Three buffers are queued before this one: its fence is pending.
        out[index] = qbuf_out_fence(index);
        exported[index] = export_sync_file(dmabufs_[index].get());
        ASSERT_TRUE(out[index] && exported[index]);
        FenceState queued = fence_state(out[index].get());
        EXPECT_EQ(queued.status, 0) << "the out-fence is not pending after QBUF";
        EXPECT_EQ(queued.driver, "videobuf2");
        EXPECT_EQ(merged_fence_count(out[index].get(), exported[index].get()), 1u)
            << "the out-fence is not the fence in the dma-buf";
    }
}

// The out-fence ends like the release fence: buffers STREAMOFF takes back
// from the driver signal -EIO.
TEST_F(ReleaseFenceTest, OutFenceSignalsEioOnStreamoff) {
    allocate_mmap(true);
    std::vector<UniqueFd> out = stall_with_out_fences();
    ASSERT_FALSE(HasFailure());
    std::this_thread::sleep_for(500ms);
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_EQ(fence_state(out[i].get()).status, 0) << "buffer " << i;
    }
    streamoff();
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_EQ(fence_state(out[i].get()).status, -EIO) << "buffer " << i;
    }
}

// Without the opt-in there is no release fence to hand out: QBUF refuses the
// flag with EINVAL, queues nothing and creates no file descriptor.
TEST_F(ReleaseFenceTest, OutFenceRefusedWithoutOptIn) {
    allocate_mmap(false);
    ASSERT_EQ(streamon(), 0) << strerror(errno);
    const int fds = open_fd_count();
    auto refused = qbuf_asking_out_fence(0);
    int error = errno;
    EXPECT_FALSE(refused) << "QBUF gave an out-fence on a queue that did not opt in";
    EXPECT_EQ(error, EINVAL);
    EXPECT_EQ(open_fd_count(), fds) << "a refused QBUF left a file descriptor behind";
    EXPECT_FALSE(queued(0)) << "a refused QBUF queued the buffer";
    EXPECT_TRUE(qbuf(0)) << "a plain QBUF fails after the refused one";
}

// A buffer queued before STREAMON is handed to the driver only by STREAMON:
// QBUF succeeds but gives no fence (flag cleared, fence_fd -1), as its signal
// would wait for a STREAMON that may never come. STREAMON attaches it.
TEST_F(ReleaseFenceTest, OutFenceNotGivenBeforeStreamon) {
    allocate_mmap(true);
    ASSERT_TRUE(stall(true)) << strerror(errno);
    const int fds = open_fd_count();
    for (unsigned i = 0; i < kBuffers; ++i) {
        auto buf = qbuf_asking_out_fence(i);
        ASSERT_TRUE(buf) << "QBUF " << i << " before STREAMON: " << strerror(errno);
        EXPECT_FALSE(buf->flags & V4L2_BUF_FLAG_OUT_FENCE) << "buffer " << i;
        EXPECT_EQ(int32_t(buf->reserved2), -1) << "buffer " << i << ": fence_fd";
        EXPECT_TRUE(settled(dmabufs_[i].get())) << "buffer " << i << ": a fence before STREAMON";
    }
    EXPECT_EQ(open_fd_count(), fds);
    ASSERT_EQ(streamon(), 0) << strerror(errno);
    std::vector<UniqueFd> fences;
    for (unsigned i = 0; i < kBuffers; ++i) {
        fences.push_back(export_sync_file(dmabufs_[i].get()));
        EXPECT_EQ(fence_state(fences.back().get()).status, 0) << "buffer " << i;
    }
    streamoff();
    expect_all_failed(fences, "STREAMOFF");
}

// Failing QBUFs with the flag create no file descriptor and hand nothing
// over: with a request (not supported together), on a buffer already
// queued, and when no descriptor is left (RLIMIT_NOFILE), which fails after
// the reservation objects were locked.
TEST_F(ReleaseFenceTest, OutFenceFailuresLeakNothing) {
    allocate_mmap(true);
    ASSERT_TRUE(stall(true)) << strerror(errno);
    ASSERT_EQ(streamon(), 0) << strerror(errno);
    const int fds = open_fd_count();

    EXPECT_FALSE(qbuf_asking_out_fence(0, V4L2_BUF_FLAG_REQUEST_FD));
    EXPECT_EQ(errno, EINVAL) << "out-fence with a request";
    EXPECT_FALSE(queued(0));

    UniqueFd first = qbuf_out_fence(1);
    ASSERT_TRUE(first);
    const int with_first = open_fd_count();
    EXPECT_FALSE(qbuf_asking_out_fence(1));
    EXPECT_EQ(errno, EINVAL) << "QBUF of a queued buffer";
    EXPECT_EQ(open_fd_count(), with_first);

    // No descriptor below the limit is free: the out-fence cannot be
    // installed, so QBUF must fail before the driver gets the buffer.
    rlimit saved{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
    int lowest_free = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(lowest_free, 0);
    close(lowest_free);
    rlimit tight = saved;
    tight.rlim_cur = rlim_t(lowest_free);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0) << strerror(errno);
    auto starved = qbuf_asking_out_fence(2);
    int error = errno;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
    EXPECT_FALSE(starved) << "QBUF succeeded without a descriptor for its out-fence";
    EXPECT_EQ(error, EMFILE);
    EXPECT_FALSE(queued(2)) << "the buffer went to the driver although QBUF failed";
    EXPECT_TRUE(settled(dmabufs_[2].get())) << "a failed QBUF published a fence";
    EXPECT_EQ(open_fd_count(), with_first);

    UniqueFd retried = qbuf_out_fence(2);
    EXPECT_TRUE(retried) << "QBUF with an out-fence fails after the starved one";
    first.reset();
    retried.reset();
    EXPECT_EQ(open_fd_count(), fds);
}

// A bounded wait that gave up changes nothing: the camera stalls (every
// frame dropped), the wait for the out-fence and a poll for DQBUF time out,
// the fences stay pending; once frames flow again DQBUF returns the buffers
// and their fences have signalled, good frames, no later than DQBUF.
TEST_F(ReleaseFenceTest, DqbufAfterABoundedWaitTimedOut) {
    allocate_mmap(true);
    std::vector<UniqueFd> out = stall_with_out_fences();
    ASSERT_FALSE(HasFailure());
    EXPECT_FALSE(wait_signalled(out[0].get(), 300ms))
        << "a fence signalled with every frame dropped";
    pollfd pfd{dev_.get(), POLLIN, 0};
    EXPECT_EQ(poll(&pfd, 1, 300), 0) << "a buffer to dequeue with every frame dropped";
    for (unsigned i = 0; i < kBuffers; ++i) {
        EXPECT_EQ(fence_state(out[i].get()).status, 0) << "buffer " << i;
    }
    ASSERT_TRUE(stall(false)) << strerror(errno);
    for (unsigned n = 0; n < kBuffers; ++n) {
        auto buf = dqbuf();
        ASSERT_TRUE(buf);
        const int64_t dqbuf_ns = monotonic_ns();
        EXPECT_FALSE(buf->flags & V4L2_BUF_FLAG_ERROR);
        FenceState state = fence_state(out[buf->index].get());
        EXPECT_EQ(state.status, 1) << "buffer " << buf->index;
        EXPECT_LE(state.timestamp_ns, dqbuf_ns);
    }
}

// vivid fills a buffer only when its thread holds the device's mutex, which
// every ioctl of the instance holds, also while it allocates (QBUF) or
// faults on user memory. Here an ioctl holds it as long as the test likes:
// VIDIOC_S_EXT_CTRLS copying vivid's "String" control from a page that is
// not there. The fences of the buffers the thread could not fill signal all
// the same, with an error, while the ioctl still waits: reclaim may be what
// keeps such an ioctl waiting, and it may wait for these very fences.
TEST_F(ReleaseFenceTest, FencesSignalWhileAnIoctlHoldsTheDeviceLock) {
    const auto string_ctrl = find_control(dev_.get(), "String");
    ASSERT_TRUE(string_ctrl) << "vivid has no \"String\" control";
    MissingPage page;
    ASSERT_EQ(page.error, "");
    allocate_mmap(true);
    ASSERT_TRUE(stall(true)) << strerror(errno); // the buffers stay queued
    auto fences = queue_all_and_stream();
    for (unsigned i = 0; i < kBuffers; ++i) {
        ASSERT_EQ(fence_state(fences[i].get()).status, 0) << "buffer " << i;
    }

    std::atomic<bool> ioctl_returned = false;
    std::thread holder([&] {
        v4l2_ext_control control{};
        control.id = *string_ctrl;
        control.size = 3;
        control.string = page.address();
        v4l2_ext_controls controls{};
        controls.which = V4L2_CTRL_WHICH_CUR_VAL;
        controls.count = 1;
        controls.controls = &control;
        xioctl(dev_.get(), VIDIOC_S_EXT_CTRLS, &controls);
        ioctl_returned = true;
    });
    const bool faulted = page.wait_for_fault(3000ms);
    const auto held_since = std::chrono::steady_clock::now();
    for (unsigned i = 0; faulted && i < kBuffers; ++i) {
        EXPECT_TRUE(wait_signalled(fences[i].get(), 5000ms))
            << "buffer " << i << ": its fence waits for the ioctl holding the device's mutex";
    }
    const auto held_for = std::chrono::steady_clock::now() - held_since;
    const bool still_held = !ioctl_returned;
    page.release("ab");
    holder.join();
    ASSERT_TRUE(faulted) << "VIDIOC_S_EXT_CTRLS never read the missing page";
    EXPECT_TRUE(still_held) << "the ioctl returned before the page was there";
    expect_all_failed(fences, "the thread could not take the device's mutex");
    std::printf("fences signalled %.2f s into the held ioctl\n",
                std::chrono::duration<double>(held_for).count());
    // Nothing is lost: the buffers come back flagged, and frames flow again.
    ASSERT_TRUE(stall(false)) << strerror(errno);
    for (unsigned n = 0; n < kBuffers; ++n) {
        auto buf = dqbuf();
        ASSERT_TRUE(buf);
        EXPECT_TRUE(buf->flags & V4L2_BUF_FLAG_ERROR) << "buffer " << buf->index;
        fences[buf->index] = qbuf(buf->index);
    }
    auto buf = dqbuf();
    ASSERT_TRUE(buf);
    EXPECT_FALSE(buf->flags & V4L2_BUF_FLAG_ERROR);
}

// Unplugging the camera (vivid's "Disconnect") with fences pending: the node
// is gone (ioctls fail with ENODEV) and the fences signal, at the latest when
// the application closes it, as after a USB unplug. Last: vivid registers the
// node again once the old one is closed.
TEST_F(ReleaseFenceTest, UnplugSignalsPendingFences) {
    allocate_mmap(true);
    ASSERT_TRUE(stall(true)) << strerror(errno);
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
    ASSERT_TRUE(stall(false));
}

// A multi-planar queue (vivid's multi-planar instance, NV12M: luma and chroma
// in two buffers): one release fence per hand-over, in the dma-buf of every
// plane, and the out-fence from QBUF is that same fence.
TEST(ReleaseFenceMultiplanarTest, EveryPlaneCarriesTheOneFence) {
    constexpr uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
    UniqueFd dev = open_vivid_capture(V4L2_CAP_VIDEO_CAPTURE_MPLANE);
    ASSERT_TRUE(dev) << "no vivid multi-planar capture node: load vivid with an instance "
                        "multiplanar=2 (release_fences=1)";
    auto drop = find_control(dev.get(), "Percentage of Dropped Buffers");
    ASSERT_TRUE(drop) << "vivid has no error injection controls (loaded with no_error_inj=1?)";
    auto set_drop = [&](int32_t value) {
        v4l2_control ctrl{*drop, value};
        return xioctl(dev.get(), VIDIOC_S_CTRL, &ctrl) == 0;
    };

    v4l2_format fmt{};
    fmt.type = type;
    ASSERT_EQ(xioctl(dev.get(), VIDIOC_G_FMT, &fmt), 0) << strerror(errno);
    fmt.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_NV12M;
    ASSERT_EQ(xioctl(dev.get(), VIDIOC_S_FMT, &fmt), 0) << strerror(errno);
    ASSERT_EQ(fmt.fmt.pix_mp.pixelformat, V4L2_PIX_FMT_NV12M);
    const unsigned planes = fmt.fmt.pix_mp.num_planes;
    ASSERT_EQ(planes, 2u);

    v4l2_requestbuffers req{};
    req.count = kBuffers;
    req.type = type;
    req.memory = V4L2_MEMORY_MMAP;
    req.flags = V4L2_MEMORY_FLAG_RELEASE_FENCES;
    ASSERT_EQ(xioctl(dev.get(), VIDIOC_REQBUFS, &req), 0) << strerror(errno);
    ASSERT_EQ(req.count, kBuffers);
    ASSERT_TRUE(req.flags & V4L2_MEMORY_FLAG_RELEASE_FENCES) << "opt-in refused";
    ASSERT_TRUE(req.capabilities & V4L2_BUF_CAP_SUPPORTS_OUT_FENCE);
    std::vector<std::vector<UniqueFd>> dmabufs(kBuffers);
    for (unsigned i = 0; i < kBuffers; ++i) {
        for (unsigned p = 0; p < planes; ++p) {
            v4l2_exportbuffer exp{};
            exp.type = type;
            exp.index = i;
            exp.plane = p;
            exp.flags = O_RDWR | O_CLOEXEC;
            ASSERT_EQ(xioctl(dev.get(), VIDIOC_EXPBUF, &exp), 0) << strerror(errno);
            dmabufs[i].emplace_back(exp.fd);
        }
    }

    // Frames held back while the fences are compared, pending.
    ASSERT_TRUE(set_drop(100)) << strerror(errno);
    int stream_type = int(type);
    ASSERT_EQ(xioctl(dev.get(), VIDIOC_STREAMON, &stream_type), 0) << strerror(errno);
    std::vector<UniqueFd> out;
    std::vector<std::vector<UniqueFd>> exported(kBuffers);
    for (unsigned i = 0; i < kBuffers; ++i) {
        v4l2_plane plane_array[VIDEO_MAX_PLANES]{};
        v4l2_buffer buf{};
        buf.type = type;
        buf.memory = V4L2_MEMORY_MMAP;
        buf.index = i;
        buf.m.planes = plane_array;
        buf.length = planes;
        buf.flags = V4L2_BUF_FLAG_OUT_FENCE;
        ASSERT_EQ(xioctl(dev.get(), VIDIOC_QBUF, &buf), 0) << strerror(errno);
        out.emplace_back(fencecam::qbuf_fence_fd(buf));
        ASSERT_TRUE(out.back()) << "buffer " << i << ": no out-fence";
        for (unsigned p = 0; p < planes; ++p) {
            exported[i].push_back(export_sync_file(dmabufs[i][p].get()));
            ASSERT_TRUE(exported[i].back());
            EXPECT_EQ(fence_state(exported[i][p].get()).status, 0)
                << "buffer " << i << " plane " << p << ": no pending fence";
            EXPECT_EQ(merged_fence_count(out[i].get(), exported[i][p].get()), 1u)
                << "buffer " << i << " plane " << p << ": not the out-fence";
        }
    }

    ASSERT_TRUE(set_drop(0)) << strerror(errno);
    for (unsigned n = 0; n < kBuffers; ++n) {
        pollfd pfd{dev.get(), POLLIN, 0};
        ASSERT_EQ(poll(&pfd, 1, 3000), 1) << "no frame within 3 s";
        v4l2_plane plane_array[VIDEO_MAX_PLANES]{};
        v4l2_buffer buf{};
        buf.type = type;
        buf.memory = V4L2_MEMORY_MMAP;
        buf.m.planes = plane_array;
        buf.length = planes;
        ASSERT_EQ(xioctl(dev.get(), VIDIOC_DQBUF, &buf), 0) << strerror(errno);
        const int64_t dqbuf_ns = monotonic_ns();
        FenceState done = fence_state(out[buf.index].get());
        EXPECT_EQ(done.status, 1) << "buffer " << buf.index;
        EXPECT_LE(done.timestamp_ns, dqbuf_ns);
        for (unsigned p = 0; p < planes; ++p) {
            FenceState plane = fence_state(exported[buf.index][p].get());
            EXPECT_EQ(plane.status, 1) << "buffer " << buf.index << " plane " << p;
            EXPECT_EQ(plane.timestamp_ns, done.timestamp_ns)
                << "buffer " << buf.index << " plane " << p << " signalled apart";
        }
    }
    xioctl(dev.get(), VIDIOC_STREAMOFF, &stream_type);
    req.count = 0;
    req.flags = 0;
    xioctl(dev.get(), VIDIOC_REQBUFS, &req);
}

} // namespace
