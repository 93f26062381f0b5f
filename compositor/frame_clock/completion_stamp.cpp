#include "completion_stamp.hpp"

#include <cstring>

#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace fencecam {

CompletionStamps::Mapping::~Mapping() {
    munmap(address, size);
}

std::optional<int64_t> CompletionStamps::read(wlr_buffer *buffer) {
    // A client's commit hands over a new wlr_client_buffer each time; the
    // buffer it wraps is the client's wl_buffer, which lives across frames.
    if (wlr_client_buffer *client_buffer = buffer ? wlr_client_buffer_get(buffer) : nullptr) {
        buffer = client_buffer->source;
    }
    wlr_dmabuf_attributes attributes;
    if (!buffer || !wlr_buffer_get_dmabuf(buffer, &attributes)) {
        return std::nullopt;
    }
    // vivid stamps the start of the V4L2 plane, which is the dma-buf's start
    // whatever offset the planes are described with.
    const int fd = attributes.fd[0];
    const Mapping *mapping = map(buffer, fd);
    if (!mapping) {
        return std::nullopt;
    }
    dma_buf_sync sync{DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ};
    ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
    uint64_t stamp;
    std::memcpy(&stamp, mapping->address, sizeof stamp);
    sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
    ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
    return static_cast<int64_t>(stamp);
}

const CompletionStamps::Mapping *CompletionStamps::map(wlr_buffer *buffer, int fd) {
    if (auto found = mappings_.find(buffer); found != mappings_.end()) {
        return found->second.get();
    }
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void *address = mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, 0);
    if (address == MAP_FAILED) {
        return nullptr;
    }
    auto mapping = std::make_unique<Mapping>(buffer, address, page);
    // The mapping holds the dma-buf open: it goes with the buffer.
    mapping->buffer_destroy.connect(&buffer->events.destroy, this,
                                    &CompletionStamps::handle_buffer_destroy, *mapping);
    return mappings_.emplace(buffer, std::move(mapping)).first->second.get();
}

// The erase is the handler's last act, as it frees the listener.
void CompletionStamps::handle_buffer_destroy(Mapping &mapping) {
    wlr_buffer *buffer = mapping.buffer;
    mappings_.erase(buffer);
}

} // namespace fencecam
