#include "completion_stamp.hpp"

#include <cstring>

#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace fencecam {

std::optional<int64_t> read_completion_stamp(wlr_buffer *buffer) {
    wlr_dmabuf_attributes attributes;
    if (!buffer || !wlr_buffer_get_dmabuf(buffer, &attributes)) {
        return std::nullopt;
    }
    // vivid stamps the start of the V4L2 plane, which is the dma-buf's start
    // whatever offset the planes are described with.
    const int fd = attributes.fd[0];
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void *mapping = mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, 0);
    if (mapping == MAP_FAILED) {
        return std::nullopt;
    }
    dma_buf_sync sync{DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ};
    ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
    uint64_t stamp;
    std::memcpy(&stamp, mapping, sizeof stamp);
    sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
    ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
    munmap(mapping, page);
    return static_cast<int64_t>(stamp);
}

} // namespace fencecam
