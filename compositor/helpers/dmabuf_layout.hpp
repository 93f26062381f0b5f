// What a dma-buf's planes must look like for its format: the arithmetic
// behind rejecting bad linux-dmabuf parameters, with no wlroots in it.
//
// A client describes a buffer as (format, modifier, width, height) plus,
// per plane, (fd, offset, stride). The kernel checks none of it: a plane
// that claims rows beyond the end of its dma-buf is only found when a
// renderer or the display reads there, as a failed import ("Failed to
// create texture"), garbage, or a fault. wlroots itself checks plane 0
// against the dma-buf's size (lseek(fd, 0, SEEK_END)) but not the
// subsampled planes, and not that a row is long enough for the width.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fencecam {

// A linear layout of one DRM format: the planes, the bytes of one pixel (or
// one two-pixel block for packed 4:2:2 such as YUYV) in each, and the chroma
// subsampling that applies to the planes after the first.
struct DrmFormatInfo {
    uint32_t format = 0;
    int planes = 1;
    int bytes_per_block[3] = {0, 0, 0};
    int block_width = 1; // pixels per block (YUYV: 2)
    int hsub = 1;        // chroma planes: width / hsub, height / vsub
    int vsub = 1;
    bool has_alpha = false;
};

// nullptr for a format not in fencecam's table (it then checks only what it
// can: each plane's first row against its dma-buf's size).
const DrmFormatInfo *find_drm_format_info(uint32_t format);

// A DRM format's four characters, for log lines ("XR24", "NV12").
std::string fourcc_name(uint32_t format);

struct DmabufPlaneLayout {
    uint32_t offset = 0;
    uint32_t stride = 0;
    int64_t dmabuf_size = -1; // lseek(fd, 0, SEEK_END); -1 if the fd cannot tell
};

struct DmabufLayout {
    uint32_t format = 0;
    uint64_t modifier = 0;
    int32_t width = 0;
    int32_t height = 0;
    std::vector<DmabufPlaneLayout> planes;
};

struct LayoutProblem {
    enum class Kind {
        plane_count, // the format needs another number of planes
        bounds,      // a zero, short or overflowing stride; a plane past the end
    };
    Kind kind;
    std::string what; // one line, e.g. "plane 1: offset 4096 + 320 x 240 rows ..."
};

// The first problem with `layout`, or nothing if it is consistent. Row
// lengths and plane counts are checked for linear buffers only (LINEAR, or
// INVALID: the implicit modifier camera and shm-like producers mean);
// tiled and compressed layouts have their own strides and extra planes,
// which only the driver that imports them understands.
std::optional<LayoutProblem> check_dmabuf_layout(const DmabufLayout &layout);

} // namespace fencecam
