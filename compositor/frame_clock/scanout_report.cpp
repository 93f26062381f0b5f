#include "scanout_report.hpp"

#include <algorithm>

namespace fencecam {

void ScanoutReport::watch(wlr_scene_buffer *buffer) {
    auto same = [buffer](const Watched &watched) { return watched.buffer == buffer; };
    if (std::any_of(watched_.begin(), watched_.end(), same)) {
        return;
    }
    Watched &watched = watched_.emplace_back();
    watched.buffer = buffer;
    watched.output_sample.connect(&buffer->events.output_sample, this,
                                  &ScanoutReport::handle_sample);
    watched.destroy.connect(&buffer->node.events.destroy, this, &ScanoutReport::handle_destroy,
                            watched);
}

// Frees the listener that calls it: nothing of `watched` is used after.
void ScanoutReport::handle_destroy(Watched &watched) {
    watched_.remove_if([&watched](const Watched &other) { return &other == &watched; });
}

void ScanoutReport::watch_tree(wlr_scene_tree *tree) {
    wlr_scene_node_for_each_buffer(
        &tree->node,
        [](wlr_scene_buffer *buffer, int, int, void *data) {
            static_cast<ScanoutReport *>(data)->watch(buffer);
        },
        this);
}

void ScanoutReport::handle_sample(wlr_scene_output_sample_event *event) {
    (event->direct_scanout ? scanout_samples_ : composited_samples_)++;
    if (on_sample_) {
        on_sample_(event);
    }
    if (direct_scanout_ >= 0 && event->direct_scanout == (direct_scanout_ == 1)) {
        return;
    }
    direct_scanout_ = event->direct_scanout ? 1 : 0;
    wlr_log(WLR_INFO, "%s on %s: %s", name_.c_str(), event->output->output->name,
            event->direct_scanout ? "direct scanout" : "composited");
}

} // namespace fencecam
