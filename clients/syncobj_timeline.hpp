// Explicit sync for a camera client: one DRM syncobj timeline shared with the
// compositor through linux-drm-syncobj-v1.
//
// Per frame the client names two points on it:
//  - the acquire point: "the buffer is complete once this signals". The
//    camera's completion is the dma-buf's write fence, exported as a
//    sync_file (DMA_BUF_IOCTL_EXPORT_SYNC_FILE), imported into a temporary
//    binary syncobj and moved onto the point (drmSyncobjTransfer): the
//    uAPI has no direct "sync_file into timeline point" call. On a mainline
//    kernel the fence is an already-signalled stub (vb2 adds none), so the
//    point signals at once; with the vb2 release-fence series it is the
//    real camera fence;
//  - the release point: the compositor signals it once nothing reads the
//    buffer any more (renderer done, display scanning out something else).
//    Only then may the buffer go back to the camera (VIDIOC_QBUF), or the
//    camera would overwrite a frame still on screen. The client waits for
//    it without blocking: DRM_IOCTL_SYNCOBJ_EVENTFD makes an eventfd
//    readable when the point signals, and the eventfd sits in the poll loop.
//
// The syncobj lives on a DRM device with timeline support
// (DRM_CAP_SYNCOBJ_TIMELINE), any render node will do: syncobjs are a
// property of the DRM core, not of the GPU that signals them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "linux-drm-syncobj-v1-client-protocol.h"
#include "unique_fd.hpp"

namespace fencecam::client {

class SyncobjTimeline {
  public:
    // Opens a render node with timelines, creates the timeline and hands it
    // to the compositor; false and one line in `error` otherwise.
    bool create(wp_linux_drm_syncobj_manager_v1 *manager, wl_surface *surface, std::string &error);
    ~SyncobjTimeline();

    // Sets the acquire point of the next commit to the write fences of
    // `dmabufs` (signalled at once if the kernel cannot export them), and
    // its release point. Returns the release point.
    uint64_t set_points(const std::vector<int> &dmabufs);

    // An eventfd that becomes readable when `point` has signalled.
    UniqueFd eventfd_for(uint64_t point);

  private:
    bool import_sync_file(uint64_t point, int sync_file);

    UniqueFd device_;
    uint32_t timeline_ = 0;
    uint64_t next_point_ = 1;
    wp_linux_drm_syncobj_timeline_v1 *timeline_object_ = nullptr;
    wp_linux_drm_syncobj_surface_v1 *surface_sync_ = nullptr;
};

} // namespace fencecam::client
