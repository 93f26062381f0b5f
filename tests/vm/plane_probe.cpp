// What vkms scans out, read from the kernel rather than from fencecam: the
// primary plane's framebuffer, its size and format, and the dma-buf behind it
// (exporter and inode), and for XRGB8888 the pixel at its centre, read from
// that dma-buf without waiting for its fences. A test compares the inode with
// the camera's own dma-bufs (the same inode: the screen is read from the
// camera's memory, no copy in between), and the pixel with what the camera
// was showing (a frame on the plane is a frame the display was given).
//
// Usage: fencecam-plane-probe SAMPLES INTERVAL_MS
// Prints one JSON line per sample. Runs as root beside fencecam: any DRM
// client may read plane state, and CAP_SYS_ADMIN also gets the framebuffer's
// buffer handles (DRM_IOCTL_MODE_GETFB2), which PRIME turns into the dma-buf
// the buffer was imported from.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <drm_fourcc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "devices.hpp"
#include "process_dmabufs.hpp"

using fencecam::UniqueFd;
using namespace fencecam::vm;

namespace {

struct PlaneResourcesDeleter {
    void operator()(drmModePlaneRes *resources) const { drmModeFreePlaneResources(resources); }
};
struct PlaneDeleter {
    void operator()(drmModePlane *plane) const { drmModeFreePlane(plane); }
};
struct PropertiesDeleter {
    void operator()(drmModeObjectProperties *properties) const {
        drmModeFreeObjectProperties(properties);
    }
};
struct PropertyDeleter {
    void operator()(drmModePropertyRes *property) const { drmModeFreeProperty(property); }
};
struct Fb2Deleter {
    void operator()(drmModeFB2 *fb) const { drmModeFreeFB2(fb); }
};

std::uint64_t plane_type(int drm, std::uint32_t plane) {
    std::unique_ptr<drmModeObjectProperties, PropertiesDeleter> properties(
        drmModeObjectGetProperties(drm, plane, DRM_MODE_OBJECT_PLANE));
    for (std::uint32_t i = 0; properties && i < properties->count_props; i++) {
        std::unique_ptr<drmModePropertyRes, PropertyDeleter> property(
            drmModeGetProperty(drm, properties->props[i]));
        if (property && std::strcmp(property->name, "type") == 0) {
            return properties->prop_values[i];
        }
    }
    return ~0ull;
}

// The framebuffer on the enabled primary plane, or 0 while none is lit.
std::uint32_t primary_framebuffer(int drm) {
    std::unique_ptr<drmModePlaneRes, PlaneResourcesDeleter> resources(
        drmModeGetPlaneResources(drm));
    for (std::uint32_t i = 0; resources && i < resources->count_planes; i++) {
        std::unique_ptr<drmModePlane, PlaneDeleter> plane(
            drmModeGetPlane(drm, resources->planes[i]));
        if (plane && plane->crtc_id && plane->fb_id &&
            plane_type(drm, plane->plane_id) == DRM_PLANE_TYPE_PRIMARY) {
            return plane->fb_id;
        }
    }
    return 0;
}

// "rrggbb" at the buffer's centre; mapped without DMA_BUF_IOCTL_SYNC, which
// would wait for the very fences a test may be holding.
std::string center_pixel(int dmabuf, const drmModeFB2 &fb) {
    if (fb.pixel_format != DRM_FORMAT_XRGB8888 && fb.pixel_format != DRM_FORMAT_ARGB8888) {
        return "";
    }
    const std::size_t size = std::size_t{fb.offsets[0]} + std::size_t{fb.pitches[0]} * fb.height;
    void *mapping = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, dmabuf, 0);
    if (mapping == MAP_FAILED) {
        return "";
    }
    const auto *pixels = static_cast<const std::uint8_t *>(mapping) + fb.offsets[0];
    std::uint32_t pixel = 0;
    std::memcpy(&pixel, pixels + std::size_t{fb.pitches[0]} * (fb.height / 2) + 4 * (fb.width / 2),
                sizeof pixel);
    ::munmap(mapping, size);
    char hex[8];
    std::snprintf(hex, sizeof hex, "%06x", pixel & 0xffffff);
    return hex;
}

std::string fourcc(std::uint32_t format) {
    std::string name(4, ' ');
    for (int i = 0; i < 4; i++) {
        name[i] = static_cast<char>((format >> (8 * i)) & 0xff);
    }
    return name;
}

void print_sample(int drm) {
    const std::uint32_t fb_id = primary_framebuffer(drm);
    std::unique_ptr<drmModeFB2, Fb2Deleter> fb(fb_id ? drmModeGetFB2(drm, fb_id) : nullptr);
    if (!fb) {
        std::printf("{\"fb\": 0}\n");
        return;
    }
    std::string exporter;
    std::string center;
    unsigned long long inode = 0;
    if (fb->handles[0]) {
        int dmabuf = -1;
        if (drmPrimeHandleToFD(drm, fb->handles[0], DRM_CLOEXEC, &dmabuf) == 0) {
            UniqueFd owned(dmabuf);
            struct stat status{};
            if (::fstat(owned.get(), &status) == 0) {
                inode = status.st_ino;
            }
            exporter = exporter_of("/proc/self/fdinfo/" + std::to_string(owned.get()));
            center = center_pixel(owned.get(), *fb);
        }
        // GETFB2 made handles in this file; planes of one buffer share one.
        for (int i = 0; i < 4; i++) {
            if (fb->handles[i] && (i == 0 || fb->handles[i] != fb->handles[0])) {
                drmCloseBufferHandle(drm, fb->handles[i]);
            }
        }
    }
    std::printf("{\"fb\": %u, \"width\": %u, \"height\": %u, \"format\": \"%s\", "
                "\"modifier\": %llu, \"exporter\": \"%s\", \"inode\": %llu, \"center\": \"%s\"}\n",
                fb_id, fb->width, fb->height, fourcc(fb->pixel_format).c_str(),
                static_cast<unsigned long long>(fb->modifier), exporter.c_str(), inode,
                center.c_str());
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s SAMPLES INTERVAL_MS\n", argv[0]);
        return 2;
    }
    const int samples = std::atoi(argv[1]);
    const auto interval = std::chrono::milliseconds(std::atoi(argv[2]));
    const auto path = find_drm_node("vkms", DrmNode::Card);
    if (!path) {
        std::fprintf(stderr, "plane probe: no vkms DRM device\n");
        return 1;
    }
    UniqueFd drm(::open(path->c_str(), O_RDWR | O_CLOEXEC));
    if (!drm || drmSetClientCap(drm.get(), DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) != 0) {
        std::fprintf(stderr, "plane probe: %s: %s\n", path->c_str(), std::strerror(errno));
        return 1;
    }
    for (int i = 0; i < samples; i++) {
        print_sample(drm.get());
        std::fflush(stdout);
        std::this_thread::sleep_for(interval);
    }
    return 0;
}
