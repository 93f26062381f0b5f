#include "dmabuf_buffer.hpp"

#include <fcntl.h>
#include <sys/mman.h>

#include <drm_fourcc.h>

#include "dmabuf_cpu_read.hpp"

namespace fencecam {

std::atomic<uint64_t> DmabufBuffer::cpu_reads_{0};

const wlr_buffer_impl DmabufBuffer::impl = {
    .destroy = handle_destroy,
    .get_dmabuf = handle_get_dmabuf,
    .get_shm = nullptr,
    .begin_data_ptr_access = handle_begin_data_ptr_access,
    .end_data_ptr_access = handle_end_data_ptr_access,
};

DmabufBuffer *DmabufBuffer::create(const wlr_dmabuf_attributes &attributes) {
    return new DmabufBuffer(attributes);
}

DmabufBuffer::DmabufBuffer(const wlr_dmabuf_attributes &attributes)
    : attributes_(attributes) {
    for (int plane = 0; plane < attributes.n_planes; ++plane) {
        fds_[plane].reset(fcntl(attributes.fd[plane], F_DUPFD_CLOEXEC, 0));
        attributes_.fd[plane] = fds_[plane].get();
    }
    wlr_buffer_init(&base_, &impl, attributes.width, attributes.height);
    release_.notify = [](wl_listener *listener, void *) {
        DmabufBuffer *self = wl_container_of(listener, self, release_);
        if (self->on_release_) {
            self->on_release_();
        }
    };
    wl_signal_add(&base_.events.release, &release_);
}

DmabufBuffer::~DmabufBuffer() {
    if (mapping_) {
        munmap(mapping_, mapping_size_);
    }
}

void DmabufBuffer::drop() {
    on_release_ = nullptr;
    wlr_buffer_drop(&base_);
}

DmabufBuffer *DmabufBuffer::from(wlr_buffer *buffer) {
    DmabufBuffer *self = wl_container_of(buffer, self, base_);
    return self;
}

void DmabufBuffer::handle_destroy(wlr_buffer *buffer) {
    DmabufBuffer *self = from(buffer);
    // wlroots 0.20: an impl's destroy must finish the base buffer itself,
    // and asserts that nobody listens to it any more.
    wl_list_remove(&self->release_.link);
    wlr_buffer_finish(buffer);
    delete self;
}

bool DmabufBuffer::handle_get_dmabuf(wlr_buffer *buffer, wlr_dmabuf_attributes *attributes) {
    // The caller borrows the fds; they stay ours.
    *attributes = from(buffer)->attributes_;
    return true;
}

// The pixman renderer reads pixels through the CPU. Only single-plane RGB
// frames can be read that way; everything else needs the GPU renderer or
// direct scanout.
bool DmabufBuffer::handle_begin_data_ptr_access(wlr_buffer *buffer, uint32_t flags, void **data,
                                                uint32_t *format, size_t *stride) {
    DmabufBuffer *self = from(buffer);
    const wlr_dmabuf_attributes &attr = self->attributes_;
    bool rgb = attr.format == DRM_FORMAT_XRGB8888 || attr.format == DRM_FORMAT_ARGB8888;
    if ((flags & WLR_BUFFER_DATA_PTR_ACCESS_WRITE) || !rgb || attr.n_planes != 1) {
        return false;
    }
    if (!self->mapping_) {
        size_t size = static_cast<size_t>(attr.offset[0]) + size_t(attr.stride[0]) * attr.height;
        void *mapping = mmap(nullptr, size, PROT_READ, MAP_SHARED, attr.fd[0], 0);
        if (mapping == MAP_FAILED) {
            return false;
        }
        self->mapping_ = mapping;
        self->mapping_size_ = size;
    }
    // Bracket CPU access so caches are coherent with the camera's DMA. A
    // frame is latched only once written, so a pending write fence here is
    // an anomaly: refused rather than waited for, pixman draws nothing for
    // this buffer in this frame, and the next frame is drawn as usual.
    if (!begin_dmabuf_cpu_read(attr.fd[0])) {
        return false;
    }
    ++cpu_reads_;
    *data = static_cast<char *>(self->mapping_) + attr.offset[0];
    *format = attr.format;
    *stride = attr.stride[0];
    return true;
}

void DmabufBuffer::handle_end_data_ptr_access(wlr_buffer *buffer) {
    end_dmabuf_cpu_read(from(buffer)->attributes_.fd[0]);
}

} // namespace fencecam
