#include "memory_buffer.hpp"

#include "dmabuf_layout.hpp"

namespace fencecam {

const wlr_buffer_impl MemoryBuffer::impl = {
    .destroy = handle_destroy,
    .get_dmabuf = nullptr,
    .get_shm = nullptr,
    .begin_data_ptr_access = handle_begin_data_ptr_access,
    .end_data_ptr_access = handle_end_data_ptr_access,
};

wlr_buffer *MemoryBuffer::create(int width, int height, uint32_t format) {
    const DrmFormatInfo *info = find_drm_format_info(format);
    if (!info || info->planes != 1 || info->block_width != 1 || width <= 0 || height <= 0) {
        return nullptr;
    }
    const size_t stride = size_t(width) * size_t(info->bytes_per_block[0]);
    return &(new MemoryBuffer(width, height, format, stride))->base_;
}

MemoryBuffer::MemoryBuffer(int width, int height, uint32_t format, size_t stride)
    : format_(format)
    , stride_(stride)
    , pixels_(new uint8_t[stride * size_t(height)]()) {
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
    *format = self->format_;
    *stride = self->stride_;
    return true;
}

void MemoryBuffer::handle_end_data_ptr_access(wlr_buffer *) {}

} // namespace fencecam
