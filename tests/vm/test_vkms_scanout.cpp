// Contract: a vivid capture buffer, exported as a dma-buf (VIDIOC_EXPBUF), is
// imported by vkms as a framebuffer and page-flipped onto the screen: the
// camera frame is scanned out from the camera's own memory, no copy.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "devices.hpp"
#include "dma_fence.hpp"
#include "vivid.hpp"

using fencecam::UniqueFd;
using namespace fencecam::vm;

namespace {

constexpr std::uint32_t width = 640;
constexpr std::uint32_t height = 480;

struct ConnectorDeleter {
    void operator()(drmModeConnector *c) const { drmModeFreeConnector(c); }
};
struct ResourcesDeleter {
    void operator()(drmModeRes *r) const { drmModeFreeResources(r); }
};
struct CrtcDeleter {
    void operator()(drmModeCrtc *c) const { drmModeFreeCrtc(c); }
};

// vkms' one CRTC driving its one connector at width x height.
struct Output {
    std::uint32_t crtc = 0;
    std::uint32_t connector = 0;
    drmModeModeInfo mode{};
};

bool find_output(int drm, Output &out) {
    std::unique_ptr<drmModeRes, ResourcesDeleter> resources(drmModeGetResources(drm));
    if (!resources || resources->count_crtcs < 1) {
        return false;
    }
    out.crtc = resources->crtcs[0];
    for (int i = 0; i < resources->count_connectors; i++) {
        std::unique_ptr<drmModeConnector, ConnectorDeleter> connector(
            drmModeGetConnector(drm, resources->connectors[i]));
        if (!connector || connector->connection != DRM_MODE_CONNECTED) {
            continue;
        }
        for (int m = 0; m < connector->count_modes; m++) {
            if (connector->modes[m].hdisplay == width && connector->modes[m].vdisplay == height) {
                out.connector = connector->connector_id;
                out.mode = connector->modes[m];
                return true;
            }
        }
    }
    return false;
}

// A framebuffer on vkms for the dma-buf: every plane of the format lies in
// the one buffer, as V4L2's single-planar formats lay them out.
std::uint32_t import_framebuffer(int drm, int dmabuf, std::uint32_t drm_format,
                                 const v4l2_pix_format &format) {
    std::uint32_t handle = 0;
    if (drmPrimeFDToHandle(drm, dmabuf, &handle) != 0) {
        return 0;
    }
    std::uint32_t handles[4] = {handle};
    std::uint32_t pitches[4] = {format.bytesperline};
    std::uint32_t offsets[4] = {0};
    if (drm_format == DRM_FORMAT_NV12) {
        handles[1] = handle;
        pitches[1] = format.bytesperline;
        offsets[1] = format.bytesperline * format.height;
    }
    std::uint32_t framebuffer = 0;
    drmModeAddFB2(drm, format.width, format.height, drm_format, handles, pitches, offsets,
                  &framebuffer, 0);
    return framebuffer;
}

void on_flip(int, unsigned, unsigned, unsigned, void *data) {
    *static_cast<bool *>(data) = true;
}

// Shows one camera buffer, then page-flips to another: legacy page flips keep
// the format, so the CRTC is lit with a camera buffer in the first place.
void scan_out_vivid_buffers(std::uint32_t v4l2_format, std::uint32_t drm_format) {
    VividCapture vivid(v4l2_format, width, height, 2);
    ASSERT_EQ(vivid.error, "");
    const auto vkms_path = find_drm_node("vkms", DrmNode::Card);
    ASSERT_TRUE(vkms_path) << "no vkms DRM device";
    UniqueFd drm(::open(vkms_path->c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(drm);
    Output output;
    ASSERT_TRUE(find_output(drm.get(), output))
        << "vkms has no connected " << width << "x" << height << " mode";

    std::uint32_t framebuffers[2] = {};
    for (std::uint32_t i = 0; i < 2; i++) {
        ASSERT_TRUE(vivid.capture_one(i)) << "vivid did not fill buffer " << i;
        UniqueFd dmabuf = vivid.export_buffer(i);
        ASSERT_TRUE(dmabuf) << "VIDIOC_EXPBUF: " << std::strerror(errno);
        framebuffers[i] = import_framebuffer(drm.get(), dmabuf.get(), drm_format, vivid.format());
        ASSERT_NE(framebuffers[i], 0u)
            << "vkms does not import the vivid dma-buf: " << std::strerror(errno);
    }

    ASSERT_EQ(drmModeSetCrtc(drm.get(), output.crtc, framebuffers[0], 0, 0, &output.connector, 1,
                             &output.mode),
              0)
        << std::strerror(errno);
    bool flipped = false;
    ASSERT_EQ(drmModePageFlip(drm.get(), output.crtc, framebuffers[1], DRM_MODE_PAGE_FLIP_EVENT,
                              &flipped),
              0)
        << std::strerror(errno);

    drmEventContext events{};
    events.version = 2;
    events.page_flip_handler = on_flip;
    // 60 Hz: one refresh is 17 ms; TCG is slow, so allow a lot more.
    ASSERT_GT(ready_events(drm.get(), POLLIN, 2000), 0) << "no page flip event within 2 s";
    ASSERT_EQ(drmHandleEvent(drm.get(), &events), 0);
    EXPECT_TRUE(flipped);

    std::unique_ptr<drmModeCrtc, CrtcDeleter> crtc(drmModeGetCrtc(drm.get(), output.crtc));
    ASSERT_TRUE(crtc);
    EXPECT_EQ(crtc->buffer_id, framebuffers[1])
        << "the CRTC does not scan out the camera framebuffer";

    drmModeSetCrtc(drm.get(), output.crtc, 0, 0, 0, nullptr, 0, nullptr);
    for (std::uint32_t framebuffer : framebuffers) {
        drmModeRmFB(drm.get(), framebuffer);
    }
}

} // namespace

// V4L2 names formats by memory order, DRM by a little-endian word: the same bytes.
static_assert(V4L2_PIX_FMT_XBGR32 == DRM_FORMAT_XRGB8888 && V4L2_PIX_FMT_NV12 == DRM_FORMAT_NV12);

TEST(VkmsScanout, VividXrgb8888DmaBuf) {
    scan_out_vivid_buffers(V4L2_PIX_FMT_XBGR32, DRM_FORMAT_XRGB8888);
}

TEST(VkmsScanout, VividNv12DmaBuf) {
    scan_out_vivid_buffers(V4L2_PIX_FMT_NV12, DRM_FORMAT_NV12);
}
