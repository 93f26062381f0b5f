#include "dmabuf_layout.hpp"

#include <drm_fourcc.h>

namespace fencecam {

namespace {

// The formats cameras, video decoders and GPU clients hand to compositors.
// A format missing here is still accepted if the renderer can sample it;
// only its per-plane arithmetic is not checked.
constexpr DrmFormatInfo format_table[] = {
    // 32-bit RGB, one plane.
    {DRM_FORMAT_XRGB8888, 1, {4}, 1, 1, 1, false},
    {DRM_FORMAT_ARGB8888, 1, {4}, 1, 1, 1, true},
    {DRM_FORMAT_XBGR8888, 1, {4}, 1, 1, 1, false},
    {DRM_FORMAT_ABGR8888, 1, {4}, 1, 1, 1, true},
    {DRM_FORMAT_RGBX8888, 1, {4}, 1, 1, 1, false},
    {DRM_FORMAT_RGBA8888, 1, {4}, 1, 1, 1, true},
    {DRM_FORMAT_BGRX8888, 1, {4}, 1, 1, 1, false},
    {DRM_FORMAT_BGRA8888, 1, {4}, 1, 1, 1, true},
    {DRM_FORMAT_XRGB2101010, 1, {4}, 1, 1, 1, false},
    {DRM_FORMAT_ARGB2101010, 1, {4}, 1, 1, 1, true},
    {DRM_FORMAT_XBGR2101010, 1, {4}, 1, 1, 1, false},
    {DRM_FORMAT_ABGR2101010, 1, {4}, 1, 1, 1, true},
    // 64-bit half-float RGB.
    {DRM_FORMAT_XBGR16161616F, 1, {8}, 1, 1, 1, false},
    {DRM_FORMAT_ABGR16161616F, 1, {8}, 1, 1, 1, true},
    // 16 and 24-bit RGB.
    {DRM_FORMAT_RGB565, 1, {2}, 1, 1, 1, false},
    {DRM_FORMAT_BGR565, 1, {2}, 1, 1, 1, false},
    {DRM_FORMAT_RGB888, 1, {3}, 1, 1, 1, false},
    {DRM_FORMAT_BGR888, 1, {3}, 1, 1, 1, false},
    // Single-channel (often one plane of a video frame shared as its own buffer).
    {DRM_FORMAT_R8, 1, {1}, 1, 1, 1, false},
    {DRM_FORMAT_GR88, 1, {2}, 1, 1, 1, false},
    // Packed 4:2:2: one four-byte block holds two pixels.
    {DRM_FORMAT_YUYV, 1, {4}, 2, 1, 1, false},
    {DRM_FORMAT_YVYU, 1, {4}, 2, 1, 1, false},
    {DRM_FORMAT_UYVY, 1, {4}, 2, 1, 1, false},
    {DRM_FORMAT_VYUY, 1, {4}, 2, 1, 1, false},
    // Semi-planar: luma, then interleaved chroma pairs.
    {DRM_FORMAT_NV12, 2, {1, 2}, 1, 2, 2, false},
    {DRM_FORMAT_NV21, 2, {1, 2}, 1, 2, 2, false},
    {DRM_FORMAT_NV16, 2, {1, 2}, 1, 2, 1, false},
    {DRM_FORMAT_NV61, 2, {1, 2}, 1, 2, 1, false},
    {DRM_FORMAT_NV24, 2, {1, 2}, 1, 1, 1, false},
    {DRM_FORMAT_P010, 2, {2, 4}, 1, 2, 2, false},
    // Fully planar: luma, then each chroma plane.
    {DRM_FORMAT_YUV420, 3, {1, 1, 1}, 1, 2, 2, false},
    {DRM_FORMAT_YVU420, 3, {1, 1, 1}, 1, 2, 2, false},
    {DRM_FORMAT_YUV422, 3, {1, 1, 1}, 1, 2, 1, false},
    {DRM_FORMAT_YUV444, 3, {1, 1, 1}, 1, 1, 1, false},
};

uint64_t divide_round_up(uint64_t value, uint64_t divisor) {
    return (value + divisor - 1) / divisor;
}

std::string plane_name(size_t plane) {
    return "plane " + std::to_string(plane);
}

} // namespace

const DrmFormatInfo *find_drm_format_info(uint32_t format) {
    for (const DrmFormatInfo &info : format_table) {
        if (info.format == format) {
            return &info;
        }
    }
    return nullptr;
}

std::optional<LayoutProblem> check_dmabuf_layout(const DmabufLayout &layout) {
    using Kind = LayoutProblem::Kind;
    const bool linear =
        layout.modifier == DRM_FORMAT_MOD_LINEAR || layout.modifier == DRM_FORMAT_MOD_INVALID;
    const DrmFormatInfo *info = linear ? find_drm_format_info(layout.format) : nullptr;

    if (info && static_cast<int>(layout.planes.size()) != info->planes) {
        return LayoutProblem{Kind::plane_count, "the format has " + std::to_string(info->planes) +
                                                    " planes, the client sent " +
                                                    std::to_string(layout.planes.size())};
    }
    for (size_t i = 0; i < layout.planes.size(); ++i) {
        const DmabufPlaneLayout &plane = layout.planes[i];
        if (plane.stride == 0) {
            return LayoutProblem{Kind::bounds, plane_name(i) + ": stride 0"};
        }
        // The pixels one row of this plane must hold, and how many rows it
        // has: chroma planes of subsampled formats have fewer of both.
        uint64_t rows = 1;
        if (info) {
            const bool chroma = i > 0;
            const uint64_t width =
                divide_round_up(static_cast<uint64_t>(layout.width), chroma ? info->hsub : 1);
            rows = divide_round_up(static_cast<uint64_t>(layout.height), chroma ? info->vsub : 1);
            const uint64_t row_bytes =
                divide_round_up(width, info->block_width) * info->bytes_per_block[i];
            if (plane.stride < row_bytes) {
                return LayoutProblem{
                    Kind::bounds, plane_name(i) + ": stride " + std::to_string(plane.stride) +
                                      " is shorter than a row of " + std::to_string(layout.width) +
                                      " pixels (" + std::to_string(row_bytes) + " bytes)"};
            }
        }
        // 64-bit arithmetic: offset and stride are 32-bit, height 31-bit,
        // so the end of the plane cannot overflow here, only be too far.
        const uint64_t end = plane.offset + plane.stride * rows;
        if (plane.dmabuf_size >= 0 && end > static_cast<uint64_t>(plane.dmabuf_size)) {
            return LayoutProblem{Kind::bounds, plane_name(i) + ": offset " +
                                                   std::to_string(plane.offset) + " + stride " +
                                                   std::to_string(plane.stride) + " x " +
                                                   std::to_string(rows) + " rows ends at byte " +
                                                   std::to_string(end) + ", past the dma-buf's " +
                                                   std::to_string(plane.dmabuf_size) + " bytes"};
        }
    }
    return std::nullopt;
}

std::string fourcc_name(uint32_t format) {
    char name[5] = {};
    for (int i = 0; i < 4; ++i) {
        const char c = static_cast<char>((format >> (8 * i)) & 0xff);
        name[i] = c >= ' ' && c <= '~' ? c : '?';
    }
    return name;
}

} // namespace fencecam
