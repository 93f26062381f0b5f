#include "client_frames.hpp"

#include <algorithm>

#include "client_name.hpp"
#include "dmabuf_cpu_copy.hpp"
#include "monotonic_clock.hpp"

namespace fencecam {

namespace {

// How the client synchronised this frame with its producer, read when it
// commits: once applied, the syncobj waiter has cleared the acquire point.
// A surface with a syncobj state must give every buffer an acquire point.
const char *sync_mode(wlr_surface *surface, wlr_buffer *buffer) {
    if (wlr_linux_drm_syncobj_v1_get_surface_state(surface)) {
        return "explicit";
    }
    wlr_dmabuf_attributes attributes;
    return buffer && wlr_buffer_get_dmabuf(buffer, &attributes) ? "implicit" : "shm";
}

} // namespace

void ClientFrames::watch_tree(wlr_scene_tree *tree) {
    wlr_scene_node_for_each_buffer(
        &tree->node,
        [](wlr_scene_buffer *buffer, int, int, void *data) {
            if (wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(buffer)) {
                static_cast<ClientFrames *>(data)->watch(scene_surface->surface, buffer);
            }
        },
        this);
}

void ClientFrames::watch(wlr_surface *surface, wlr_scene_buffer *scene_buffer) {
    if (std::any_of(surfaces_.begin(), surfaces_.end(),
                    [&](const Surface &watched) { return watched.surface == surface; })) {
        return;
    }
    Surface &watched = surfaces_.emplace_back(stats_, surface, scene_buffer);
    watched.source = "client " + describe_client(wl_resource_get_client(surface->resource));
    watched.client_commit.connect(&surface->events.client_commit, this,
                                  &ClientFrames::handle_client_commit, watched);
    watched.commit.connect(&surface->events.commit, this, &ClientFrames::handle_commit, watched);
    watched.output_sample.connect(&scene_buffer->events.output_sample, this,
                                  &ClientFrames::handle_output_sample, watched);
    // Either may go first: the xdg surface's scene tree dies with the role,
    // the surface with the client.
    watched.surface_destroy.connect(&surface->events.destroy, this, &ClientFrames::handle_destroy,
                                    watched);
    watched.scene_buffer_destroy.connect(&scene_buffer->node.events.destroy, this,
                                         &ClientFrames::handle_destroy, watched);
}

// The read-only guard may show a CPU copy in the client's place.
void ClientFrames::handle_output_sample(Surface &watched, wlr_scene_output_sample_event *event) {
    watched.presents.sampled(event, is_dmabuf_copy(watched.scene_buffer->buffer));
}

void ClientFrames::handle_client_commit(Surface &watched) {
    const wlr_surface_state &pending = watched.surface->pending;
    if ((pending.committed & WLR_SURFACE_STATE_BUFFER) && pending.buffer) {
        watched.committed.push_back(
            {pending.seq, monotonic_ns(), sync_mode(watched.surface, pending.buffer)});
    }
}

void ClientFrames::handle_commit(Surface &watched) {
    wlr_surface *surface = watched.surface;
    const uint32_t seq = surface->current.seq;
    // wlroots applies cached states one by one, so nothing is older than
    // `seq`; if it ever merged some, their times must not stall later frames.
    while (!watched.committed.empty() && watched.committed.front().seq < seq) {
        watched.committed.pop_front();
    }
    if (watched.committed.empty() || watched.committed.front().seq != seq) {
        return; // no new buffer in this commit
    }
    const Commit commit = watched.committed.front();
    watched.committed.pop_front();
    if (!surface->buffer) {
        watched.presents.finish_all(); // the client took its buffer away
        return;
    }

    wlr_buffer *buffer = &surface->buffer->base;
    FrameRecord record;
    record.source = watched.source;
    record.mode = commit.mode;
    record.sequence = seq;
    record.queued_ns = commit.committed_ns;
    record.ready_ns = commit.committed_ns;
    record.ready_from = "commit";
    record.latched_ns = monotonic_ns();
    if (completion_stamps_) {
        record.stamp_ns = stamps_.read(buffer).value_or(-1);
    }
    watched.presents.latched(record);
}

void ClientFrames::handle_destroy(Surface &watched) {
    surfaces_.remove_if([&](const Surface &surface) { return &surface == &watched; });
}

} // namespace fencecam
