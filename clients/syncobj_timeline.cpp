#include "syncobj_timeline.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <xf86drm.h>

#include "sync_file.hpp"

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
    int fd = -1;
    if (drmSyncobjCreate(device_.get(), 0, &timeline_) != 0 ||
        drmSyncobjHandleToFD(device_.get(), timeline_, &fd) != 0) {
        error = std::string("--sync explicit: cannot create a syncobj timeline: ") +
                std::strerror(errno);
        return false;
    }
    // The compositor keeps its own reference; ours closes here.
    UniqueFd timeline_fd(fd);
    timeline_object_ = wp_linux_drm_syncobj_manager_v1_import_timeline(manager, timeline_fd.get());
    surface_sync_ = wp_linux_drm_syncobj_manager_v1_get_surface(manager, surface);
    return true;
}

bool SyncobjTimeline::import_sync_file(uint64_t point, int sync_file) {
    uint32_t binary = 0;
    if (drmSyncobjCreate(device_.get(), 0, &binary) != 0) {
        return false;
    }
    const bool ok = drmSyncobjImportSyncFile(device_.get(), binary, sync_file) == 0 &&
                    drmSyncobjTransfer(device_.get(), timeline_, point, binary, 0, 0) == 0;
    drmSyncobjDestroy(device_.get(), binary);
    return ok;
}

uint64_t SyncobjTimeline::set_points(const std::vector<int> &dmabufs) {
    uint64_t acquire = next_point_++;
    const uint64_t release = next_point_++;
    // One sync_file for all of the frame's dma-bufs (NV12M has two).
    UniqueFd fences;
    for (int dmabuf : dmabufs) {
        UniqueFd plane = export_write_fences(dmabuf);
        fences = !plane || !fences ? std::move(plane) : merge_sync_files(fences.get(), plane.get());
        if (!fences) {
            break;
        }
    }
    if (!fences || !import_sync_file(acquire, fences.get())) {
        // No fence to hand over (a kernel before 6.0): DQBUF has already
        // told us the frame is complete.
        drmSyncobjTimelineSignal(device_.get(), &timeline_, &acquire, 1);
    }
    wp_linux_drm_syncobj_surface_v1_set_acquire_point(surface_sync_, timeline_object_,
                                                      uint32_t(acquire >> 32), uint32_t(acquire));
    wp_linux_drm_syncobj_surface_v1_set_release_point(surface_sync_, timeline_object_,
                                                      uint32_t(release >> 32), uint32_t(release));
    return release;
}

UniqueFd SyncobjTimeline::eventfd_for(uint64_t point) {
    UniqueFd event(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    // Flags 0: wake when the point has signalled (not merely materialised).
    if (!event || drmSyncobjEventfd(device_.get(), timeline_, point, event.get(), 0) != 0) {
        return UniqueFd();
    }
    return event;
}

SyncobjTimeline::~SyncobjTimeline() {
    if (surface_sync_) {
        wp_linux_drm_syncobj_surface_v1_destroy(surface_sync_);
        wp_linux_drm_syncobj_timeline_v1_destroy(timeline_object_);
    }
    if (timeline_) {
        drmSyncobjDestroy(device_.get(), timeline_);
    }
}

} // namespace fencecam::client
