#include "dmabuf_feedback.hpp"

#include <algorithm>

#include <drm_fourcc.h>
#include <sys/mman.h>

namespace fencecam::client {

const zwp_linux_dmabuf_feedback_v1_listener DmabufFeedback::listener{
    // done: the tranches since the last done are the whole feedback.
    [](void *data, zwp_linux_dmabuf_feedback_v1 *) {
        auto *self = static_cast<DmabufFeedback *>(data);
        self->linear_formats_ = std::move(self->pending_);
        self->pending_.clear();
        self->received_ = true;
        self->on_done_();
    },
    // format_table: (format, modifier) pairs the tranches index into.
    [](void *data, zwp_linux_dmabuf_feedback_v1 *, int32_t fd, uint32_t size) {
        auto *self = static_cast<DmabufFeedback *>(data);
        UniqueFd table_fd(fd);
        if (self->table_) {
            munmap(const_cast<Entry *>(self->table_), self->table_size_ * sizeof(Entry));
        }
        void *table = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, table_fd.get(), 0);
        self->table_ = table == MAP_FAILED ? nullptr : static_cast<const Entry *>(table);
        self->table_size_ = table == MAP_FAILED ? 0 : size / sizeof(Entry);
    },
    [](void *, zwp_linux_dmabuf_feedback_v1 *, wl_array *) {}, // main_device
    [](void *, zwp_linux_dmabuf_feedback_v1 *) {},             // tranche_done
    [](void *, zwp_linux_dmabuf_feedback_v1 *, wl_array *) {}, // tranche_target_device
    [](void *data, zwp_linux_dmabuf_feedback_v1 *, wl_array *indices) {
        auto *self = static_cast<DmabufFeedback *>(data);
        const auto *index = static_cast<const uint16_t *>(indices->data);
        for (size_t i = 0; i < indices->size / sizeof(uint16_t); ++i) {
            if (index[i] >= self->table_size_) {
                continue;
            }
            const Entry &entry = self->table_[index[i]];
            if (entry.modifier == DRM_FORMAT_MOD_LINEAR &&
                std::find(self->pending_.begin(), self->pending_.end(), entry.format) ==
                    self->pending_.end()) {
                self->pending_.push_back(entry.format);
            }
        }
    },
    [](void *, zwp_linux_dmabuf_feedback_v1 *, uint32_t) {}, // tranche_flags
};

DmabufFeedback::DmabufFeedback(zwp_linux_dmabuf_v1 *dmabuf, wl_surface *surface,
                               std::function<void()> on_done)
    : feedback_(zwp_linux_dmabuf_v1_get_surface_feedback(dmabuf, surface))
    , on_done_(std::move(on_done)) {
    zwp_linux_dmabuf_feedback_v1_add_listener(feedback_, &listener, this);
}

DmabufFeedback::~DmabufFeedback() {
    zwp_linux_dmabuf_feedback_v1_destroy(feedback_);
    if (table_) {
        munmap(const_cast<Entry *>(table_), table_size_ * sizeof(Entry));
    }
}

} // namespace fencecam::client
