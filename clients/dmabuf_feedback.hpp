// What the compositor can take from this surface right now, from
// zwp_linux_dmabuf_feedback_v1 (linux-dmabuf v4).
//
// The compositor sends tranches of (format, modifier) pairs, most preferred
// first; wlroots puts a scanout tranche for the output's primary plane first
// while the surface is fullscreen, and re-sends the feedback when that
// changes. Camera buffers are linear, so the client keeps the formats that
// come with the LINEAR modifier, in the compositor's order of preference.
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

    // DRM formats usable with LINEAR, most preferred first, no duplicates.
    const std::vector<uint32_t> &linear_formats() const { return linear_formats_; }
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
    std::vector<uint32_t> pending_;
    std::vector<uint32_t> linear_formats_;
    bool received_ = false;
};

} // namespace fencecam::client
