// The arithmetic that rejects bad linux-dmabuf parameters (dmabuf_layout.hpp).
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include "dmabuf_layout.hpp"

namespace fencecam {
namespace {

using Kind = LayoutProblem::Kind;

DmabufLayout xrgb(int width, int height, uint32_t stride, int64_t size) {
    return {DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, width, height, {{0, stride, size}}};
}

// NV12 in one dma-buf: luma rows, then half as many rows of chroma pairs.
DmabufLayout nv12(int width, int height, uint32_t stride, int64_t size) {
    const uint32_t chroma = stride * static_cast<uint32_t>(height);
    return {DRM_FORMAT_NV12,
            DRM_FORMAT_MOD_LINEAR,
            width,
            height,
            {{0, stride, size}, {chroma, stride, size}}};
}

TEST(DmabufLayout, AcceptsAnExactlySizedBuffer) {
    EXPECT_FALSE(check_dmabuf_layout(xrgb(640, 480, 2560, 2560 * 480)));
    EXPECT_FALSE(check_dmabuf_layout(nv12(640, 480, 640, 640 * 480 * 3 / 2)));
}

TEST(DmabufLayout, AcceptsPaddedRowsAndUnknownSizes) {
    EXPECT_FALSE(check_dmabuf_layout(xrgb(640, 480, 4096, 4096 * 480)));
    EXPECT_FALSE(check_dmabuf_layout(xrgb(640, 480, 2560, -1)));
}

TEST(DmabufLayout, RejectsAZeroStride) {
    const auto problem = check_dmabuf_layout(xrgb(640, 480, 0, 2560 * 480));
    ASSERT_TRUE(problem);
    EXPECT_EQ(problem->kind, Kind::bounds);
    EXPECT_EQ(problem->what, "plane 0: stride 0");
}

TEST(DmabufLayout, RejectsARowShorterThanTheWidth) {
    // A quarter of the real stride (fence_client's "bad stride"), and a
    // width four times the buffer's ("bad size").
    EXPECT_TRUE(check_dmabuf_layout(xrgb(640, 480, 640, 2560 * 480)));
    const auto problem = check_dmabuf_layout(xrgb(2560, 480, 2560, 2560 * 480));
    ASSERT_TRUE(problem);
    EXPECT_EQ(problem->what,
              "plane 0: stride 2560 is shorter than a row of 2560 pixels (10240 bytes)");
}

TEST(DmabufLayout, RejectsAPlanePastTheEnd) {
    DmabufLayout layout = xrgb(640, 480, 2560, 2560 * 480);
    layout.planes[0].offset = 4;
    const auto problem = check_dmabuf_layout(layout);
    ASSERT_TRUE(problem);
    EXPECT_EQ(problem->kind, Kind::bounds);
    EXPECT_EQ(problem->what, "plane 0: offset 4 + stride 2560 x 480 rows ends at byte 1228804, "
                             "past the dma-buf's 1228800 bytes");
}

TEST(DmabufLayout, ChromaPlanesHaveTheirOwnHeight) {
    // NV12's chroma has height / 2 rows: one byte short fails, exact passes.
    EXPECT_TRUE(check_dmabuf_layout(nv12(640, 480, 640, 640 * 480 * 3 / 2 - 1)));
    // Odd heights round up: 3 luma rows need 2 chroma rows.
    EXPECT_FALSE(check_dmabuf_layout(nv12(4, 3, 4, 4 * 3 + 4 * 2)));
    EXPECT_TRUE(check_dmabuf_layout(nv12(4, 3, 4, 4 * 3 + 4 * 2 - 1)));
}

TEST(DmabufLayout, PackedYuvRowsHoldTwoPixelsABlock) {
    const DmabufLayout yuyv{DRM_FORMAT_YUYV, DRM_FORMAT_MOD_LINEAR, 641, 2, {{0, 1284, 2568}}};
    EXPECT_FALSE(check_dmabuf_layout(yuyv));
    DmabufLayout short_row = yuyv;
    short_row.planes[0].stride = 1280;
    EXPECT_TRUE(check_dmabuf_layout(short_row));
}

TEST(DmabufLayout, RejectsAWrongPlaneCount) {
    DmabufLayout layout = nv12(640, 480, 640, 640 * 480 * 3 / 2);
    layout.planes.pop_back();
    const auto problem = check_dmabuf_layout(layout);
    ASSERT_TRUE(problem);
    EXPECT_EQ(problem->kind, Kind::plane_count);
}

TEST(DmabufLayout, OverflowingPlanesAreTooFarNotWrappedAround) {
    DmabufLayout layout = xrgb(1, 0x7fffffff, 0xffffffff, 4096);
    layout.planes[0].offset = 0xffffffff;
    EXPECT_TRUE(check_dmabuf_layout(layout));
}

TEST(DmabufLayout, TiledModifiersOnlyGetTheFirstRowChecked) {
    // A tiled layout's stride is not bytes a row of pixels; its driver knows.
    DmabufLayout tiled = xrgb(640, 480, 512, 512);
    tiled.modifier = I915_FORMAT_MOD_X_TILED;
    EXPECT_FALSE(check_dmabuf_layout(tiled));
    tiled.planes[0].offset = 1;
    EXPECT_TRUE(check_dmabuf_layout(tiled));
}

TEST(DmabufLayout, KnowsWhichFormatsAreOpaque) {
    EXPECT_FALSE(find_drm_format_info(DRM_FORMAT_XRGB8888)->has_alpha);
    EXPECT_TRUE(find_drm_format_info(DRM_FORMAT_ARGB8888)->has_alpha);
    EXPECT_EQ(find_drm_format_info(fourcc_code('N', 'O', 'P', 'E')), nullptr);
}

} // namespace
} // namespace fencecam
