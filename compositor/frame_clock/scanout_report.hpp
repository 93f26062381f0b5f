// Whether a thing on screen reaches it by direct scanout or through the
// renderer, as the scene itself decides it, frame by frame.
//
// wlr_scene emits `output_sample` on each scene buffer it puts on an output,
// with `direct_scanout` set when the buffer went to the display plane as it
// is. (The DRM backend's ZERO_COPY presentation flag does not tell this: it
// is set on every page flip.) A ScanoutReport counts those samples over a
// set of scene buffers and logs each change, which users and tests read.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <string>

#include "listener.hpp"
#include "wlr.hpp"

namespace fencecam {

class ScanoutReport {
  public:
    explicit ScanoutReport(std::string name)
        : name_(std::move(name)) {}
    ScanoutReport(const ScanoutReport &) = delete;
    ScanoutReport &operator=(const ScanoutReport &) = delete;

    void watch(wlr_scene_buffer *buffer);
    // Watches every buffer in `tree` not watched yet (call again when the
    // tree may have grown, e.g. a client added a subsurface).
    void watch_tree(wlr_scene_tree *tree);
    void rename(std::string name) { name_ = std::move(name); }
    // Also called with every sample (e.g. to learn which commit shows a frame).
    void set_sample_handler(std::function<void(wlr_scene_output_sample_event *)> handler) {
        on_sample_ = std::move(handler);
    }

    uint64_t scanout_samples() const { return scanout_samples_; }
    uint64_t composited_samples() const { return composited_samples_; }

  private:
    struct Watched {
        wlr_scene_buffer *buffer;
        Listener<wlr_scene_output_sample_event> output_sample;
        Listener<> destroy;
    };

    void handle_sample(wlr_scene_output_sample_event *event);
    void handle_destroy(Watched &watched);

    std::string name_;
    std::list<Watched> watched_;
    std::function<void(wlr_scene_output_sample_event *)> on_sample_;
    int direct_scanout_ = -1; // the last verdict; -1 before the first sample
    uint64_t scanout_samples_ = 0;
    uint64_t composited_samples_ = 0;
};

} // namespace fencecam
