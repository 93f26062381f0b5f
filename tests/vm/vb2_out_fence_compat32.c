// The release fence as an out-fence from VIDIOC_QBUF (kernel/patches, patch
// 3), through the 32-bit compat ioctl path: built as a static i386 program
// and run on the debug kernel (IA32_EMULATION) against vivid loaded with
// release_fences=1. Built twice: with 32-bit time (struct
// v4l2_buffer32_time32 in the kernel) and with 64-bit time (struct
// v4l2_buffer32). Both must carry fence_fd (reserved2 in older headers)
// back to userspace, and the fence must be the buffer's: pending or done
// when QBUF returns, signalled before DQBUF returns the buffer.
//
// Plain C with no test framework: the 64-bit selftest
// (vb2_release_fence_test.cpp) covers the semantics; this checks the
// translation of the structure.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/sync_file.h>
#include <linux/videodev2.h>

// The series' uAPI, for system headers that predate it.
#ifndef V4L2_MEMORY_FLAG_RELEASE_FENCES
#define V4L2_MEMORY_FLAG_RELEASE_FENCES (1 << 1)
#endif
#ifndef V4L2_BUF_CAP_SUPPORTS_OUT_FENCE
#define V4L2_BUF_CAP_SUPPORTS_OUT_FENCE (1 << 10)
#endif
#ifndef V4L2_BUF_FLAG_OUT_FENCE
#define V4L2_BUF_FLAG_OUT_FENCE 0x00400000
#endif

enum { kBuffers = 2, kFencedIndex = 1 };

static const char *variant(void) {
    return sizeof(time_t) == 8 ? "time64" : "time32";
}

static int fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "vb2_out_fence_compat32 (%s): ", variant());
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return 1;
}

static int xioctl(int fd, unsigned long request, void *arg) {
    int ret;
    do {
        ret = ioctl(fd, request, arg);
    } while (ret < 0 && errno == EINTR);
    return ret;
}

// vivid's first single-planar video capture node, or -1.
static int open_vivid_capture(void) {
    for (int i = 0; i < 64; ++i) {
        char path[32];
        snprintf(path, sizeof(path), "/dev/video%d", i);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        struct v4l2_capability cap;
        memset(&cap, 0, sizeof(cap));
        if (xioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 && strcmp((char *)cap.driver, "vivid") == 0 &&
            (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE)) {
            return fd;
        }
        close(fd);
    }
    return -1;
}

static int64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static int fence_info(int fence, struct sync_fence_info *info) {
    struct sync_file_info file;
    memset(&file, 0, sizeof(file));
    memset(info, 0, sizeof(*info));
    file.num_fences = 1;
    file.sync_fence_info = (uintptr_t)info;
    return xioctl(fence, SYNC_IOC_FILE_INFO, &file);
}

static int check(int dev) {
    struct v4l2_requestbuffers req;
    memset(&req, 0, sizeof(req));
    req.count = kBuffers;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    req.flags = V4L2_MEMORY_FLAG_RELEASE_FENCES;
    if (xioctl(dev, VIDIOC_REQBUFS, &req) < 0) {
        return fail("VIDIOC_REQBUFS: %s", strerror(errno));
    }
    if (!(req.flags & V4L2_MEMORY_FLAG_RELEASE_FENCES) ||
        !(req.capabilities & V4L2_BUF_CAP_SUPPORTS_OUT_FENCE)) {
        return fail("no release fences or out-fences (flags %#x, capabilities %#x): is this the "
                    "patched kernel, vivid loaded with release_fences=1?",
                    req.flags, req.capabilities);
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(dev, VIDIOC_STREAMON, &type) < 0) {
        return fail("VIDIOC_STREAMON: %s", strerror(errno));
    }
    for (unsigned index = 0; index < kBuffers; ++index) {
        struct v4l2_buffer buf;
        memset(&buf, 0, sizeof(buf));
        buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buf.memory = V4L2_MEMORY_MMAP;
        buf.index = index;
        buf.flags = index == kFencedIndex ? V4L2_BUF_FLAG_OUT_FENCE : 0;
        buf.reserved2 = 0x5a5a5a5a; // the kernel must overwrite it
        if (xioctl(dev, VIDIOC_QBUF, &buf) < 0) {
            return fail("VIDIOC_QBUF %u: %s", index, strerror(errno));
        }
        if (index != kFencedIndex) {
            continue;
        }
        const int fence = (int32_t)buf.reserved2;
        if (!(buf.flags & V4L2_BUF_FLAG_OUT_FENCE) || fence < 0) {
            return fail("QBUF returned no out-fence: flags %#x, fence_fd %d", buf.flags, fence);
        }
        if (!(fcntl(fence, F_GETFD) & FD_CLOEXEC)) {
            return fail("the out-fence %d is not a close-on-exec descriptor", fence);
        }
        struct sync_fence_info info;
        if (fence_info(fence, &info) < 0) {
            return fail("fence_fd %d is not a sync_file: %s", fence, strerror(errno));
        }
        if (strcmp(info.driver_name, "videobuf2") != 0 || info.status < 0) {
            return fail("the out-fence is %s's, status %d", info.driver_name, info.status);
        }
        // Dequeue until the fenced buffer comes back: its fence signalled, no later.
        for (;;) {
            struct v4l2_buffer done;
            memset(&done, 0, sizeof(done));
            done.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
            done.memory = V4L2_MEMORY_MMAP;
            struct pollfd pfd = {dev, POLLIN, 0};
            if (poll(&pfd, 1, 3000) != 1 || xioctl(dev, VIDIOC_DQBUF, &done) < 0) {
                return fail("no frame within 3 s: %s", strerror(errno));
            }
            const int64_t dqbuf_ns = monotonic_ns();
            if (done.index != kFencedIndex) {
                continue;
            }
            if (fence_info(fence, &info) < 0 || info.status != 1 ||
                (int64_t)info.timestamp_ns > dqbuf_ns) {
                return fail("DQBUF returned the frame but its fence says status %d at %lld ns "
                            "(DQBUF at %lld)",
                            info.status, (long long)info.timestamp_ns, (long long)dqbuf_ns);
            }
            break;
        }
        close(fence);
    }
    xioctl(dev, VIDIOC_STREAMOFF, &type);
    req.count = 0;
    req.flags = 0;
    xioctl(dev, VIDIOC_REQBUFS, &req);
    return 0;
}

int main(void) {
    const int dev = open_vivid_capture();
    if (dev < 0) {
        return fail("no vivid video capture node");
    }
    const int result = check(dev);
    close(dev);
    if (result == 0) {
        printf("vb2_out_fence_compat32 (%s): the out-fence crossed the compat path\n", variant());
    }
    return result;
}
