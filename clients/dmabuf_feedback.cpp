#include "dmabuf_feedback.hpp"

#include <algorithm>
#include <utility>

#include <drm_fourcc.h>
#include <sys/mman.h>

namespace fencecam::client {

const zwp_linux_dmabuf_feedback_v1_listener DmabufFeedback::listener{
    // done: the tranches since the last done are the whole feedback.
    [](void *data, zwp_linux_dmabuf_feedback_v1 *) {
        auto *self = static_cast<DmabufFeedback *>(data);
        self->tranches_ = std::exchange(self->pending_, {});
        self->linear_formats_.clear();
        for (const Tranche &tranche : self->tranches_) {
            for (uint32_t format : tranche.linear_formats) {
                if (std::find(self->linear_formats_.begin(), self->linear_formats_.end(), format) ==
                    self->linear_formats_.end()) {
                    self->linear_formats_.push_back(format);
                }
            }
        }
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
    // tranche_done: the next tranche starts afresh.
    [](void *data, zwp_linux_dmabuf_feedback_v1 *) {
        auto *self = static_cast<DmabufFeedback *>(data);
        self->pending_.push_back(std::exchange(self->pending_tranche_, {}));
    },
    [](void *, zwp_linux_dmabuf_feedback_v1 *, wl_array *) {}, // tranche_target_device
    // tranche_formats: indices into the format table.
    [](void *data, zwp_linux_dmabuf_feedback_v1 *, wl_array *indices) {
        auto *self = static_cast<DmabufFeedback *>(data);
        const auto *index = static_cast<const uint16_t *>(indices->data);
        for (size_t i = 0; i < indices->size / sizeof(uint16_t); ++i) {
            if (index[i] >= self->table_size_) {
                continue;
            }
            const Entry &entry = self->table_[index[i]];
            auto &formats = self->pending_tranche_.linear_formats;
            if (entry.modifier == DRM_FORMAT_MOD_LINEAR &&
                std::find(formats.begin(), formats.end(), entry.format) == formats.end()) {
                formats.push_back(entry.format);
            }
        }
    },
    // tranche_flags: scanout, or not.
    [](void *data, zwp_linux_dmabuf_feedback_v1 *, uint32_t flags) {
        static_cast<DmabufFeedback *>(data)->pending_tranche_.scanout =
            flags & ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT;
    },
};

DmabufFeedback::DmabufFeedback(zwp_linux_dmabuf_v1 *dmabuf, wl_surface *surface,
                               std::function<void()> on_done)
    : feedback_(zwp_linux_dmabuf_v1_get_surface_feedback(dmabuf, surface))
    , on_done_(std::move(on_done)) {
    zwp_linux_dmabuf_feedback_v1_add_listener(feedback_, &listener, this);
}

bool DmabufFeedback::scanout() const {
    return std::any_of(tranches_.begin(), tranches_.end(),
                       [](const Tranche &tranche) { return tranche.scanout; });
}

DmabufFeedback::~DmabufFeedback() {
    zwp_linux_dmabuf_feedback_v1_destroy(feedback_);
    if (table_) {
        munmap(const_cast<Entry *>(table_), table_size_ * sizeof(Entry));
    }
}

} // namespace fencecam::client
