#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include "format_choice.hpp"

using namespace fencecam::client;

namespace {

// What fencecam-camera can take from vivid (drm_format_for_v4l2), in the
// camera's own order: the order must not matter.
const std::vector<uint32_t> vivid{DRM_FORMAT_YUYV, DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888,
                                  DRM_FORMAT_ARGB8888};

} // namespace

TEST(FormatChoice, FirstCompositorFormatTheCameraProduces) {
    EXPECT_EQ(choose_format({DRM_FORMAT_XRGB2101010, DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}, vivid),
              DRM_FORMAT_NV12);
    EXPECT_EQ(choose_format({DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12}, vivid), DRM_FORMAT_XRGB8888);
}

TEST(FormatChoice, OpaqueBeforeAlpha) {
    // An alpha format keeps the frame from direct scanout: any opaque one wins.
    EXPECT_EQ(choose_format({DRM_FORMAT_ARGB8888, DRM_FORMAT_ABGR8888, DRM_FORMAT_YUYV}, vivid),
              DRM_FORMAT_YUYV);
    // ... but alpha is better than nothing.
    EXPECT_EQ(choose_format({DRM_FORMAT_ABGR8888, DRM_FORMAT_ARGB8888}, vivid),
              DRM_FORMAT_ARGB8888);
}

TEST(FormatChoice, NothingInCommon) {
    EXPECT_EQ(choose_format({DRM_FORMAT_XRGB2101010, DRM_FORMAT_RGB565}, vivid), std::nullopt);
    EXPECT_EQ(choose_format({}, vivid), std::nullopt);
    EXPECT_EQ(choose_format({DRM_FORMAT_XRGB8888}, {}), std::nullopt);
}

// The two feedbacks wlroots' scene sends a fullscreen surface: with the
// primary plane's tranche first (scanout possible), and without it.
TEST(FormatChoice, SwitchesWhenThePreferenceChanges) {
    const std::vector<uint32_t> scanout_then_renderer{DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888,
                                                      DRM_FORMAT_NV12, DRM_FORMAT_YUYV};
    const std::vector<uint32_t> renderer{DRM_FORMAT_YUYV, DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888,
                                         DRM_FORMAT_NV12};
    EXPECT_EQ(format_after_feedback(DRM_FORMAT_XRGB8888, renderer, vivid), DRM_FORMAT_YUYV);
    EXPECT_EQ(format_after_feedback(DRM_FORMAT_YUYV, scanout_then_renderer, vivid),
              DRM_FORMAT_XRGB8888);
}

TEST(FormatChoice, KeepsTheCurrentFormatWhenItIsStillTheBest) {
    // The same pick from a different list: no restart.
    EXPECT_EQ(format_after_feedback(DRM_FORMAT_XRGB8888,
                                    {DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12},
                                    vivid),
              std::nullopt);
    // Nothing fits any more: the buffers in use were imported, stream on.
    EXPECT_EQ(format_after_feedback(DRM_FORMAT_XRGB8888, {DRM_FORMAT_RGB565}, vivid), std::nullopt);
}

TEST(FormatChoice, FourccName) {
    EXPECT_EQ(fourcc_name(DRM_FORMAT_XRGB8888), "XR24");
    EXPECT_EQ(fourcc_name(DRM_FORMAT_NV12), "NV12");
    EXPECT_EQ(fourcc_name(0), "????");
}
