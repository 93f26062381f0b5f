// Finding a DRM device that can carry linux-drm-syncobj timelines.
//
// The explicit-sync protocol needs a DRM fd whose driver supports timeline
// syncobjs (DRM_CAP_SYNCOBJ_TIMELINE). The renderer's device is the natural
// choice, but a display-only device (vkms) or a software renderer has none;
// any render node on the machine will do, since syncobjs are only containers
// of fences that we import from and export to sync_files.
#pragma once

#include "unique_fd.hpp"

namespace fencecam {

// Returns an fd of `preferred_fd`'s device if it has timelines, else of the
// first render node that does, else an empty UniqueFd.
UniqueFd open_drm_timeline_device(int preferred_fd);

} // namespace fencecam
