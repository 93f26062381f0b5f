#include "dmabuf_cpu_copy.hpp"

#include <cerrno>
#include <cstring>

#include <sys/mman.h>

#include "dmabuf_cpu_read.hpp"
#include "dmabuf_layout.hpp"
#include "memory_buffer.hpp"

namespace fencecam {

namespace {

// Copies carry this addon, so that anyone can tell them from other buffers.
const wlr_addon_interface copy_tag = {
    .name = "fencecam_dmabuf_copy",
    .destroy =
        [](wlr_addon *addon) {
            wlr_addon_finish(addon);
            delete addon;
        },
};

void tag_as_copy(wlr_buffer *buffer) {
    wlr_addon_init(new wlr_addon, &buffer->addons, &copy_tag, &copy_tag);
}

// A read-only mapping of the whole dma-buf: mmap offsets must be page
// aligned, plane offsets need not be.
class ReadOnlyMapping {
  public:
    ReadOnlyMapping(int fd, size_t size)
        : size_(size)
        , data_(mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0)) {}
    ~ReadOnlyMapping() {
        if (data_ != MAP_FAILED) {
            munmap(data_, size_);
        }
    }
    ReadOnlyMapping(const ReadOnlyMapping &) = delete;
    ReadOnlyMapping &operator=(const ReadOnlyMapping &) = delete;

    const uint8_t *data() const {
        return data_ == MAP_FAILED ? nullptr : static_cast<const uint8_t *>(data_);
    }

  private:
    size_t size_;
    void *data_;
};

} // namespace

DmabufCopy copy_dmabuf(wlr_buffer *source, const wlr_drm_format_set *sampleable) {
    DmabufCopy result;
    wlr_dmabuf_attributes dmabuf;
    if (!wlr_buffer_get_dmabuf(source, &dmabuf)) {
        result.status = DmabufCopy::Status::unsupported;
        result.why = "not a dma-buf";
        return result;
    }
    const DrmFormatInfo *info = find_drm_format_info(dmabuf.format);
    const bool linear =
        dmabuf.modifier == DRM_FORMAT_MOD_LINEAR || dmabuf.modifier == DRM_FORMAT_MOD_INVALID;
    if (!info || info->planes != 1 || info->block_width != 1 || dmabuf.n_planes != 1 || !linear ||
        !sampleable || !wlr_drm_format_set_get(sampleable, dmabuf.format)) {
        result.status = DmabufCopy::Status::unsupported;
        result.why = "a " + fourcc_name(dmabuf.format) +
                     " dma-buf cannot be copied for this renderer (only one linear plane of a "
                     "format it samples from memory, e.g. XR24 or AR24)";
        return result;
    }

    wlr_buffer *copy = MemoryBuffer::create(dmabuf.width, dmabuf.height, dmabuf.format);
    if (!copy) {
        result.why = "no memory for a copy";
        return result;
    }
    void *data = nullptr;
    uint32_t format = 0;
    size_t stride = 0;
    wlr_buffer_begin_data_ptr_access(copy, WLR_BUFFER_DATA_PTR_ACCESS_WRITE, &data, &format,
                                     &stride);
    auto give_up = [&](DmabufCopy::Status status, std::string why) {
        wlr_buffer_end_data_ptr_access(copy);
        wlr_buffer_drop(copy);
        result.status = status;
        result.why = std::move(why);
        return result;
    };

    const int fd = dmabuf.fd[0];
    if (!begin_dmabuf_cpu_read(fd)) {
        return give_up(DmabufCopy::Status::busy, "a write fence is still pending");
    }
    const size_t row = size_t(dmabuf.width) * size_t(info->bytes_per_block[0]);
    // The import check made sure that these rows lie inside the dma-buf.
    const size_t size =
        dmabuf.offset[0] + size_t(dmabuf.stride[0]) * size_t(dmabuf.height - 1) + row;
    ReadOnlyMapping mapping(fd, size);
    if (!mapping.data()) {
        const std::string why = std::string("mmap(PROT_READ) failed: ") + std::strerror(errno);
        end_dmabuf_cpu_read(fd);
        return give_up(DmabufCopy::Status::failed, why);
    }
    const uint8_t *from = mapping.data() + dmabuf.offset[0];
    auto *to = static_cast<uint8_t *>(data);
    for (int y = 0; y < dmabuf.height; ++y) {
        std::memcpy(to + size_t(y) * stride, from + size_t(y) * dmabuf.stride[0], row);
    }
    end_dmabuf_cpu_read(fd);
    wlr_buffer_end_data_ptr_access(copy);
    tag_as_copy(copy);
    result.status = DmabufCopy::Status::copied;
    result.buffer = wlr_buffer_lock(copy);
    wlr_buffer_drop(copy);
    return result;
}

bool is_dmabuf_copy(wlr_buffer *buffer) {
    return buffer && wlr_addon_find(&buffer->addons, &copy_tag, &copy_tag) != nullptr;
}

} // namespace fencecam
