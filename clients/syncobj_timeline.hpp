// Explicit sync for a camera client: DRM syncobj timelines shared with the
// compositor through linux-drm-syncobj-v1, one per wl_buffer.
//
// Per commit the client names two points on its buffer's timeline:
//  - the acquire point: "the buffer is complete once this signals". The
//    camera's completion is the dma-buf's write fence, exported as a
//    sync_file (DMA_BUF_IOCTL_EXPORT_SYNC_FILE), imported into a temporary
//    binary syncobj and moved onto the point (drmSyncobjTransfer): the
//    uAPI has no direct "sync_file into timeline point" call. On a mainline
//    kernel the fence is an already-signalled stub (vb2 adds none), so the
//    point signals at once; with the vb2 release-fence series it is the
//    real camera fence, pending when the client commits ahead;
//  - the release point: the compositor signals it once nothing reads the
//    buffer any more (renderer done, display scanning out something else).
//    Only then may the buffer go back to the camera (VIDIOC_QBUF), or the
//    camera would overwrite a frame still on screen. The client waits for
//    it without blocking: DRM_IOCTL_SYNCOBJ_EVENTFD makes an eventfd
//    readable when the point signals, and the eventfd sits in the poll loop.
//
// Why one timeline per buffer: a timeline point counts as signalled once the
// timeline has reached it, so its points must signal in order. One buffer's
// points do (acquire, release, acquire, ... : a buffer is committed again
// only once released); the frames in flight do not: with several commits
// ahead, a release comes while later frames' acquire points are pending,
// and on one shared timeline it would be added out of order.
//
// The syncobjs live on a DRM device with timeline support
// (DRM_CAP_SYNCOBJ_TIMELINE), any render node will do: syncobjs are a
// property of the DRM core, not of the GPU that signals them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "linux-drm-syncobj-v1-client-protocol.h"
#include "unique_fd.hpp"

namespace fencecam::client {

class SyncobjTimeline {
  public:
    // Opens a render node with timelines and the surface's syncobj object;
    // false and one line in `error` otherwise.
    bool create(wp_linux_drm_syncobj_manager_v1 *manager, wl_surface *surface, std::string &error);
    ~SyncobjTimeline();

    // Sets the acquire point of the next commit, on the timeline of the
    // wl_buffer numbered `buffer`, to `write_fences`, a sync_file of the
    // buffer's write fences (-1: none could be exported, the point is
    // signalled at once), and its release point. Returns an eventfd that
    // becomes readable when the release point has signalled (empty if the
    // kernel cannot make one).
    UniqueFd set_points(unsigned buffer, int write_fences);
    // The wl_buffer numbered `buffer` is gone: so is its timeline (the
    // compositor keeps its own reference while it needs one).
    void forget(unsigned buffer);

  private:
    struct Timeline {
        uint32_t handle = 0;
        wp_linux_drm_syncobj_timeline_v1 *object = nullptr;
        uint64_t next_point = 1;
    };
    Timeline *timeline_for(unsigned buffer);
    bool import_sync_file(uint32_t timeline, uint64_t point, int sync_file);

    wp_linux_drm_syncobj_manager_v1 *manager_ = nullptr;
    UniqueFd device_;
    std::map<unsigned, Timeline> timelines_;
    wp_linux_drm_syncobj_surface_v1 *surface_sync_ = nullptr;
};

} // namespace fencecam::client
