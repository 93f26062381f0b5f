#include "drm_timeline_device.hpp"

#include <fcntl.h>
#include <xf86drm.h>

#include "wlr.hpp"

namespace fencecam {

namespace {

bool has_timelines(int fd) {
    uint64_t value = 0;
    return drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &value) == 0 && value != 0;
}

} // namespace

UniqueFd open_drm_timeline_device(int preferred_fd) {
    if (preferred_fd >= 0 && has_timelines(preferred_fd)) {
        return UniqueFd(fcntl(preferred_fd, F_DUPFD_CLOEXEC, 0));
    }
    drmDevicePtr devices[64];
    int count = drmGetDevices2(0, devices, 64);
    UniqueFd found;
    for (int i = 0; i < count && !found; ++i) {
        if (!(devices[i]->available_nodes & (1 << DRM_NODE_RENDER))) {
            continue;
        }
        const char *path = devices[i]->nodes[DRM_NODE_RENDER];
        UniqueFd fd(open(path, O_RDWR | O_CLOEXEC));
        if (fd && has_timelines(fd.get())) {
            wlr_log(WLR_INFO, "syncobj timelines from %s", path);
            found = std::move(fd);
        }
    }
    if (count > 0) {
        drmFreeDevices(devices, count);
    }
    return found;
}

} // namespace fencecam
