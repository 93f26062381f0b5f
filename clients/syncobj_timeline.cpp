#include "syncobj_timeline.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <xf86drm.h>

namespace fencecam::client {

namespace {

UniqueFd open_timeline_device() {
    drmDevicePtr devices[64];
    const int count = drmGetDevices2(0, devices, 64);
    UniqueFd found;
    for (int i = 0; i < count && !found; ++i) {
        if (!(devices[i]->available_nodes & (1 << DRM_NODE_RENDER))) {
            continue;
        }
        UniqueFd fd(open(devices[i]->nodes[DRM_NODE_RENDER], O_RDWR | O_CLOEXEC));
        uint64_t timelines = 0;
        if (fd && drmGetCap(fd.get(), DRM_CAP_SYNCOBJ_TIMELINE, &timelines) == 0 && timelines) {
            found = std::move(fd);
        }
    }
    if (count > 0) {
        drmFreeDevices(devices, count);
    }
    return found;
}

} // namespace

bool SyncobjTimeline::create(wp_linux_drm_syncobj_manager_v1 *manager, wl_surface *surface,
                             std::string &error) {
    device_ = open_timeline_device();
    if (!device_) {
        error = "--sync explicit: no DRM render node with syncobj timelines here; try --sync "
                "implicit";
        return false;
    }
    manager_ = manager;
    surface_sync_ = wp_linux_drm_syncobj_manager_v1_get_surface(manager, surface);
    return true;
}

SyncobjTimeline::Timeline *SyncobjTimeline::timeline_for(unsigned buffer) {
    if (auto found = timelines_.find(buffer); found != timelines_.end()) {
        return &found->second;
    }
    Timeline timeline;
    int fd = -1;
    if (drmSyncobjCreate(device_.get(), 0, &timeline.handle) != 0 ||
        drmSyncobjHandleToFD(device_.get(), timeline.handle, &fd) != 0) {
        std::fprintf(stderr,
                     "fencecam-camera: --sync explicit: cannot create a syncobj timeline: %s\n",
                     std::strerror(errno));
        if (timeline.handle) {
            drmSyncobjDestroy(device_.get(), timeline.handle);
        }
        return nullptr;
    }
    // The compositor keeps its own reference; ours closes here.
    UniqueFd timeline_fd(fd);
    timeline.object = wp_linux_drm_syncobj_manager_v1_import_timeline(manager_, timeline_fd.get());
    return &timelines_.emplace(buffer, timeline).first->second;
}

bool SyncobjTimeline::import_sync_file(uint32_t timeline, uint64_t point, int sync_file) {
    uint32_t binary = 0;
    if (drmSyncobjCreate(device_.get(), 0, &binary) != 0) {
        return false;
    }
    const bool ok = drmSyncobjImportSyncFile(device_.get(), binary, sync_file) == 0 &&
                    drmSyncobjTransfer(device_.get(), timeline, point, binary, 0, 0) == 0;
    drmSyncobjDestroy(device_.get(), binary);
    return ok;
}

UniqueFd SyncobjTimeline::set_points(unsigned buffer, int write_fences) {
    Timeline *timeline = timeline_for(buffer);
    if (!timeline) {
        return UniqueFd();
    }
    uint64_t acquire = timeline->next_point++;
    const uint64_t release = timeline->next_point++;
    if (write_fences < 0 || !import_sync_file(timeline->handle, acquire, write_fences)) {
        // No fence to hand over (a kernel before 6.0): DQBUF has already
        // told us the frame is complete.
        drmSyncobjTimelineSignal(device_.get(), &timeline->handle, &acquire, 1);
    }
    wp_linux_drm_syncobj_surface_v1_set_acquire_point(surface_sync_, timeline->object,
                                                      uint32_t(acquire >> 32), uint32_t(acquire));
    wp_linux_drm_syncobj_surface_v1_set_release_point(surface_sync_, timeline->object,
                                                      uint32_t(release >> 32), uint32_t(release));
    UniqueFd event(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    // Flags 0: wake when the point has signalled (not merely materialised).
    if (!event ||
        drmSyncobjEventfd(device_.get(), timeline->handle, release, event.get(), 0) != 0) {
        return UniqueFd();
    }
    return event;
}

void SyncobjTimeline::forget(unsigned buffer) {
    if (auto found = timelines_.find(buffer); found != timelines_.end()) {
        wp_linux_drm_syncobj_timeline_v1_destroy(found->second.object);
        drmSyncobjDestroy(device_.get(), found->second.handle);
        timelines_.erase(found);
    }
}

SyncobjTimeline::~SyncobjTimeline() {
    if (surface_sync_) {
        wp_linux_drm_syncobj_surface_v1_destroy(surface_sync_);
    }
    for (auto &[buffer, timeline] : timelines_) {
        wp_linux_drm_syncobj_timeline_v1_destroy(timeline.object);
        drmSyncobjDestroy(device_.get(), timeline.handle);
    }
}

} // namespace fencecam::client
