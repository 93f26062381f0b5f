// Small wrappers over the fence uAPI the VM tests exercise: dma-buf readiness,
// sync_files, and sw_sync timelines.
#pragma once

#include <cstdint>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#include "unique_fd.hpp"

namespace fencecam::vm {

// The events of `fd` that are ready within `timeout_ms` (0: none; -1: error).
inline int ready_events(int fd, short events, int timeout_ms) {
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int n = ::poll(&p, 1, timeout_ms);
    return n < 0 ? -1 : n == 0 ? 0 : p.revents;
}

// The fences of a dma-buf as one sync_file (DMA_BUF_SYNC_READ: the fences a
// reader waits for, i.e. the writers').
inline UniqueFd export_sync_file(int dmabuf, std::uint32_t flags) {
    dma_buf_export_sync_file args{.flags = flags, .fd = -1};
    return UniqueFd(::ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &args) == 0 ? args.fd : -1);
}

inline bool import_sync_file(int dmabuf, std::uint32_t flags, int sync_file) {
    dma_buf_import_sync_file args{.flags = flags, .fd = sync_file};
    return ::ioctl(dmabuf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &args) == 0;
}

// SYNC_IOC_FILE_INFO's status: 1 signalled, 0 active, negative an error
// (the fence's, or -1 when the ioctl fails).
inline int sync_file_status(int sync_file) {
    sync_file_info info{};
    return ::ioctl(sync_file, SYNC_IOC_FILE_INFO, &info) == 0 ? info.status : -1;
}

// A sw_sync timeline (debugfs). Its uAPI has no public header: these mirror
// drivers/dma-buf/sw_sync.c.
class SwSyncTimeline {
  public:
    static constexpr const char *path = "/sys/kernel/debug/sync/sw_sync";

    SwSyncTimeline()
        : fd_(::open(path, O_RDWR | O_CLOEXEC)) {}
    explicit operator bool() const { return bool(fd_); }

    // A sync_file that signals when the timeline reaches `value`.
    UniqueFd create_fence(std::uint32_t value, const std::string &name) {
        create_fence_data data{.value = value, .name = {}, .fence = -1};
        name.copy(data.name, sizeof data.name - 1);
        return UniqueFd(::ioctl(fd_.get(), create_fence_ioctl, &data) == 0 ? data.fence : -1);
    }

    bool advance(std::uint32_t by) { return ::ioctl(fd_.get(), increment_ioctl, &by) == 0; }

  private:
    struct create_fence_data {
        std::uint32_t value;
        char name[32];
        std::int32_t fence;
    };
    static constexpr unsigned long create_fence_ioctl = _IOWR('W', 0, create_fence_data);
    static constexpr unsigned long increment_ioctl = _IOW('W', 1, std::uint32_t);

    UniqueFd fd_;
};

} // namespace fencecam::vm
