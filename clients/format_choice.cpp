#include "format_choice.hpp"

#include <algorithm>

#include <drm_fourcc.h>

namespace fencecam::client {

namespace {

// A camera's alpha channel carries nothing, yet an alpha format makes the
// compositor blend the frame over what is below it: no direct scanout.
bool has_alpha(uint32_t format) {
    return format == DRM_FORMAT_ARGB8888 || format == DRM_FORMAT_ABGR8888;
}

} // namespace

std::optional<uint32_t> choose_format(const std::vector<uint32_t> &preferred,
                                      const std::vector<uint32_t> &camera) {
    std::optional<uint32_t> with_alpha;
    for (uint32_t format : preferred) {
        if (std::find(camera.begin(), camera.end(), format) == camera.end()) {
            continue;
        }
        if (!has_alpha(format)) {
            return format;
        }
        with_alpha = with_alpha.value_or(format);
    }
    return with_alpha;
}

std::optional<uint32_t> format_after_feedback(uint32_t current,
                                              const std::vector<uint32_t> &preferred,
                                              const std::vector<uint32_t> &camera) {
    const auto best = choose_format(preferred, camera);
    if (!best || *best == current) {
        return std::nullopt;
    }
    return best;
}

std::string fourcc_name(uint32_t fourcc) {
    std::string name;
    for (int shift = 0; shift < 32; shift += 8) {
        const char c = char((fourcc >> shift) & 0xff);
        name += c >= ' ' && c <= '~' ? c : '?';
    }
    return name;
}

} // namespace fencecam::client
