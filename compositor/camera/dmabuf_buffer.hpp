// A wlr_buffer over dma-bufs that no Wayland client sent: the compositor's
// own camera frames, shown in a wlr_scene_buffer.
//
// wlroots has no public "wrap this dma-buf" helper (wlr_dmabuf_v1_buffer
// only comes from client wl_buffer resources), so this implements
// wlr_buffer_impl: get_dmabuf for the GPU renderer and for direct scanout,
// and a CPU read path for the pixman renderer. Its `release` (the last lock
// dropped) is the moment nobody reads the frame any more: the renderer is
// done and the display scans out something else.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "unique_fd.hpp"
#include "wlr.hpp"

namespace fencecam {

class DmabufBuffer {
  public:
    // `attributes` names fds the caller keeps; the buffer holds duplicates,
    // so it may outlive the camera that made them (the scene or KMS may
    // still hold the last frame when the camera goes away).
    static DmabufBuffer *create(const wlr_dmabuf_attributes &attributes);

    wlr_buffer *base() { return &base_; }

    // Called each time the buffer is released by its last reader.
    void set_release_handler(std::function<void()> handler) { on_release_ = std::move(handler); }

    // Gives up the creator's reference: the buffer is destroyed as soon as
    // no one holds a lock on it.
    void drop();

    // How many times any camera frame was read by the CPU (pixman
    // composition). Zero on the zero-copy path, which tests check.
    static uint64_t cpu_reads() { return cpu_reads_; }

  private:
    explicit DmabufBuffer(const wlr_dmabuf_attributes &attributes);
    ~DmabufBuffer();

    static DmabufBuffer *from(wlr_buffer *buffer);
    static void handle_destroy(wlr_buffer *buffer);
    static bool handle_get_dmabuf(wlr_buffer *buffer, wlr_dmabuf_attributes *attributes);
    static bool handle_begin_data_ptr_access(wlr_buffer *buffer, uint32_t flags, void **data,
                                             uint32_t *format, size_t *stride);
    static void handle_end_data_ptr_access(wlr_buffer *buffer);
    static const wlr_buffer_impl impl;

    wlr_buffer base_;
    wlr_dmabuf_attributes attributes_{};
    UniqueFd fds_[WLR_DMABUF_MAX_PLANES];
    void *mapping_ = nullptr;
    size_t mapping_size_ = 0;
    wl_listener release_{};
    std::function<void()> on_release_;
    static std::atomic<uint64_t> cpu_reads_;
};

} // namespace fencecam
