// LD_PRELOAD shim that opts every V4L2 queue a program allocates in to
// videobuf2 release fences (kernel/patches), so that a tool that does not
// know the flag, v4l2-compliance, exercises the release-fence paths.
//
// VIDIOC_REQBUFS and VIDIOC_CREATE_BUFS get V4L2_MEMORY_FLAG_RELEASE_FENCES
// on the way in. On the way out the flag and the capabilities
// V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES and _OUT_FENCE are hidden again, so
// the tool sees the answers it expects, and each allocation (count > 0) whose
// opt-in the kernel kept is counted: at exit the count is appended to the
// file named by RELEASE_FENCE_OPTIN_LOG, which the test checks.
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <dlfcn.h>

// Not <sys/ioctl.h>: its declaration of ioctl() would clash with ours.
#include <linux/videodev2.h>

#include "release_fence_uapi.hpp"

namespace {

// The capabilities the tool does not know, and would report as unknown.
constexpr uint32_t kReleaseFenceCaps =
    V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES | V4L2_BUF_CAP_SUPPORTS_OUT_FENCE;

unsigned long kept;
unsigned long refused;

void report() {
    const char *path = std::getenv("RELEASE_FENCE_OPTIN_LOG");
    std::FILE *log = path ? std::fopen(path, "a") : nullptr;
    if (log) {
        std::fprintf(log, "kept %lu refused %lu\n", kept, refused);
        std::fclose(log);
    }
}

__attribute__((constructor)) void init() {
    std::atexit(report);
}

using IoctlFn = int (*)(int, unsigned long, ...);

} // namespace

extern "C" int ioctl(int fd, unsigned long request, ...) {
    static IoctlFn real;
    va_list args;
    va_start(args, request);
    void *arg = va_arg(args, void *);
    va_end(args);
    if (!real) {
        real = reinterpret_cast<IoctlFn>(dlsym(RTLD_NEXT, "ioctl"));
    }

    if (request == VIDIOC_REQBUFS) {
        auto *req = static_cast<v4l2_requestbuffers *>(arg);
        req->flags |= uint8_t(V4L2_MEMORY_FLAG_RELEASE_FENCES);
        unsigned count = req->count;
        int ret = real(fd, request, arg);
        if (ret == 0 && count > 0) {
            if (req->flags & V4L2_MEMORY_FLAG_RELEASE_FENCES) {
                kept++;
            } else {
                refused++;
            }
        }
        req->flags &= uint8_t(~V4L2_MEMORY_FLAG_RELEASE_FENCES);
        req->capabilities &= ~uint32_t(kReleaseFenceCaps);
        return ret;
    }
    if (request == VIDIOC_CREATE_BUFS) {
        auto *create = static_cast<v4l2_create_buffers *>(arg);
        create->flags |= V4L2_MEMORY_FLAG_RELEASE_FENCES;
        unsigned count = create->count;
        int ret = real(fd, request, arg);
        if (ret == 0 && count > 0) {
            if (create->flags & V4L2_MEMORY_FLAG_RELEASE_FENCES) {
                kept++;
            } else {
                refused++;
            }
        }
        create->flags &= ~uint32_t(V4L2_MEMORY_FLAG_RELEASE_FENCES);
        create->capabilities &= ~uint32_t(kReleaseFenceCaps);
        return ret;
    }
    return real(fd, request, arg);
}
