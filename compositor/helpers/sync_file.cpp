#include "sync_file.hpp"

#include <cerrno>
#include <cstring>
#include <vector>
#include <poll.h>
#include <sys/ioctl.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>

namespace fencecam {

namespace {

// SYNC_IOC_FILE_INFO fills per-fence details only when asked for a count.
bool query(int sync_file, sync_file_info &info, std::vector<sync_fence_info> &fences) {
    info = {};
    if (ioctl(sync_file, SYNC_IOC_FILE_INFO, &info) != 0) {
        return false;
    }
    fences.assign(info.num_fences, sync_fence_info{});
    info.sync_fence_info = reinterpret_cast<uintptr_t>(fences.data());
    return ioctl(sync_file, SYNC_IOC_FILE_INFO, &info) == 0;
}

} // namespace

FenceState read_sync_file(int sync_file) {
    FenceState state;
    sync_file_info info;
    std::vector<sync_fence_info> fences;
    if (!query(sync_file, info, fences)) {
        state.status = FenceState::Status::error;
        state.error = -errno;
        return state;
    }
    if (info.status < 0) {
        state.status = FenceState::Status::error;
        state.error = info.status;
    } else if (info.status == 1) {
        state.status = FenceState::Status::signalled;
    }
    for (const sync_fence_info &fence : fences) {
        if (fence.status != 0 && static_cast<int64_t>(fence.timestamp_ns) > state.timestamp_ns) {
            state.timestamp_ns = static_cast<int64_t>(fence.timestamp_ns);
        }
    }
    return state;
}

bool sync_file_signalled(int sync_file) {
    pollfd signalled{sync_file, POLLIN, 0};
    return poll(&signalled, 1, 0) == 1;
}

UniqueFd export_write_fences(int dmabuf) {
    // DMA_BUF_SYNC_READ: "I want to read", so the kernel hands over the
    // fences a reader must wait for, i.e. the writers' (the camera's).
    dma_buf_export_sync_file request{};
    request.flags = DMA_BUF_SYNC_READ;
    request.fd = -1;
    if (ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &request) != 0) {
        return UniqueFd();
    }
    return UniqueFd(request.fd);
}

UniqueFd merge_sync_files(int a, int b) {
    sync_merge_data merge{};
    std::strncpy(merge.name, "fencecam", sizeof merge.name - 1);
    merge.fd2 = b;
    if (ioctl(a, SYNC_IOC_MERGE, &merge) != 0) {
        return UniqueFd();
    }
    return UniqueFd(merge.fence);
}

} // namespace fencecam
