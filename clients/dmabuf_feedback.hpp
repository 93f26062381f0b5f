// What the compositor can take from this surface right now, from
// zwp_linux_dmabuf_feedback_v1 (linux-dmabuf v4).
//
// The compositor sends tranches of (format, modifier) pairs, most preferred
// first. wlroots' scene puts a scanout tranche first (the primary plane's
// formats that the renderer also takes, in the plane's order) while the
// surface could be scanned out, and sends the renderer's tranche alone once
// the output has composited for a few frames. Camera buffers are linear, so
// the client keeps the formats that come with the LINEAR modifier, in the
// compositor's order of preference.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "linux-dmabuf-v1-client-protocol.h"
#include "unique_fd.hpp"

namespace fencecam::client {

class DmabufFeedback {
  public:
    // `on_done` runs after each complete feedback (the first one included).
    DmabufFeedback(zwp_linux_dmabuf_v1 *dmabuf, wl_surface *surface, std::function<void()> on_done);
    ~DmabufFeedback();
    DmabufFeedback(const DmabufFeedback &) = delete;
    DmabufFeedback &operator=(const DmabufFeedback &) = delete;

    struct Tranche {
        bool scanout = false;                 // the formats a plane takes as they are
        std::vector<uint32_t> linear_formats; // usable with LINEAR, in the compositor's order
    };

    // DRM formats usable with LINEAR, most preferred first, no duplicates.
    const std::vector<uint32_t> &linear_formats() const { return linear_formats_; }
    // The last feedback as sent, for logs.
    const std::vector<Tranche> &tranches() const { return tranches_; }
    // It has a scanout tranche: the surface could be scanned out as it is.
    bool scanout() const;
    bool received() const { return received_; }

  private:
    struct Entry {
        uint32_t format;
        uint32_t padding;
        uint64_t modifier;
    };
    static const zwp_linux_dmabuf_feedback_v1_listener listener;

    zwp_linux_dmabuf_feedback_v1 *feedback_;
    std::function<void()> on_done_;
    const Entry *table_ = nullptr;
    size_t table_size_ = 0;
    Tranche pending_tranche_;
    std::vector<Tranche> pending_;
    std::vector<Tranche> tranches_;
    std::vector<uint32_t> linear_formats_;
    bool received_ = false;
};

} // namespace fencecam::client
