#include "memory_buffer.hpp"

#include <drm_fourcc.h>

namespace fencecam {

const wlr_buffer_impl MemoryBuffer::impl = {
    .destroy = handle_destroy,
    .get_dmabuf = nullptr,
    .get_shm = nullptr,
    .begin_data_ptr_access = handle_begin_data_ptr_access,
    .end_data_ptr_access = handle_end_data_ptr_access,
};

wlr_buffer *MemoryBuffer::create(int width, int height) {
    return &(new MemoryBuffer(width, height))->base_;
}

MemoryBuffer::MemoryBuffer(int width, int height)
    : stride_(size_t(width) * 4)
    , pixels_(new uint32_t[size_t(width) * size_t(height)]()) {
    wlr_buffer_init(&base_, &impl, width, height);
}

MemoryBuffer *MemoryBuffer::from(wlr_buffer *buffer) {
    MemoryBuffer *self = wl_container_of(buffer, self, base_);
    return self;
}

void MemoryBuffer::handle_destroy(wlr_buffer *buffer) {
    // wlroots 0.20: an impl's destroy finishes the base buffer itself.
    wlr_buffer_finish(buffer);
    delete from(buffer);
}

bool MemoryBuffer::handle_begin_data_ptr_access(wlr_buffer *buffer, uint32_t, void **data,
                                                uint32_t *format, size_t *stride) {
    MemoryBuffer *self = from(buffer);
    *data = self->pixels_.get();
    *format = DRM_FORMAT_ARGB8888;
    *stride = self->stride_;
    return true;
}

void MemoryBuffer::handle_end_data_ptr_access(wlr_buffer *) {}

} // namespace fencecam
