#include "dmabuf_cpu_read.hpp"

#include <poll.h>
#include <sys/ioctl.h>

#include <linux/dma-buf.h>

namespace fencecam {

bool begin_dmabuf_cpu_read(int fd) {
    // POLLIN on a dma-buf: every write fence has signalled (readers need
    // not wait for other readers).
    pollfd writes_done{fd, POLLIN, 0};
    if (poll(&writes_done, 1, 0) != 1 || !(writes_done.revents & POLLIN)) {
        return false;
    }
    dma_buf_sync sync{DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ};
    ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
    return true;
}

void end_dmabuf_cpu_read(int fd) {
    dma_buf_sync sync{DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ};
    ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

} // namespace fencecam
