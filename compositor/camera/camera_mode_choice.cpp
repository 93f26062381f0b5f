#include "camera_mode_choice.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>

#include "v4l2_camera.hpp"

namespace fencecam {

namespace {

// A format the display takes: its class (0 scanned out, 1 composited) and
// place in that class's preference, lower is better.
struct Usable {
    const CameraPixelFormat *format = nullptr;
    uint32_t drm_fourcc = 0;
    int klass = 0;
    size_t rank = 0;
};

std::optional<Usable> usable(const CameraPixelFormat &format, const ModeWanted &wanted) {
    const uint32_t drm = drm_format_for_v4l2(format.v4l2_fourcc);
    if (drm == 0) {
        return std::nullopt;
    }
    for (int klass = 0; klass < 2; ++klass) {
        const auto &list = klass == 0 ? wanted.scanout_formats : wanted.composite_formats;
        auto found = std::find(list.begin(), list.end(), drm);
        if (found != list.end()) {
            return Usable{&format, drm, klass, static_cast<size_t>(found - list.begin())};
        }
    }
    return std::nullopt;
}

// A format whose sizes the driver does not enumerate takes any size.
std::vector<CameraFrameSize> sizes_of(const CameraPixelFormat &format) {
    if (!format.sizes.empty()) {
        return format.sizes;
    }
    CameraFrameSize any;
    any.width = any.height = 1;
    any.max_width = any.max_height = INT_MAX / 2;
    return {any};
}

// The size of `range` nearest to (w, h), on its steps.
std::pair<int, int> nearest_in(const CameraFrameSize &range, int w, int h) {
    auto clamp = [](int value, int low, int high, int step) {
        value = std::clamp(value, low, high);
        return low + (value - low) / step * step;
    };
    return {clamp(w, range.width, range.max_width, range.step_width),
            clamp(h, range.height, range.max_height, range.step_height)};
}

std::string format_list(const std::vector<uint32_t> &drm_formats) {
    std::string list;
    for (uint32_t format : drm_formats) {
        list += (list.empty() ? "" : " ") + fourcc_text(format);
    }
    return list.empty() ? "none" : list;
}

std::string size_text(int w, int h) {
    return std::to_string(w) + "x" + std::to_string(h);
}

std::string fps_text(double fps) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g fps", fps);
    return text;
}

struct Candidate {
    Usable usable;
    const CameraFrameSize *size = nullptr;
    int width = 0;
    int height = 0;
};

} // namespace

ModeResult choose_camera_mode(const CameraDescription &camera, const ModeWanted &wanted) {
    std::vector<Usable> formats;
    std::string offered;
    for (const CameraPixelFormat &format : camera.formats) {
        offered += (offered.empty() ? "" : " ") + fourcc_text(format.v4l2_fourcc);
        if (auto entry = usable(format, wanted)) {
            formats.push_back(*entry);
        }
    }
    if (formats.empty()) {
        std::vector<uint32_t> shown = wanted.scanout_formats;
        for (uint32_t format : wanted.composite_formats) {
            if (std::find(shown.begin(), shown.end(), format) == shown.end()) {
                shown.push_back(format);
            }
        }
        return {std::nullopt, camera.path + " (" + camera.card +
                                  ") offers no format fencecam can show: it offers " +
                                  (offered.empty() ? "none" : offered) + "; this display takes " +
                                  format_list(shown)};
    }

    int want_w = wanted.width > 0 ? wanted.width : camera.current_width;
    int want_h = wanted.width > 0 ? wanted.height : camera.current_height;
    std::string size_from = wanted.width > 0 ? wanted.size_from : "the camera's current size";

    // Every (format, size) the display takes, each range at its size
    // nearest to the wanted one.
    std::vector<std::vector<CameraFrameSize>> sizes;
    sizes.reserve(formats.size()); // the candidates point into it
    std::vector<Candidate> candidates;
    for (const Usable &entry : formats) {
        sizes.push_back(sizes_of(*entry.format));
        for (const CameraFrameSize &size : sizes.back()) {
            auto [w, h] = nearest_in(size, want_w, want_h);
            candidates.push_back({entry, &size, w, h});
        }
    }

    auto exact = [&](const Candidate &c) { return c.width == want_w && c.height == want_h; };
    auto fits = [&](const Candidate &c) { return c.width <= want_w && c.height <= want_h; };
    auto area = [](const Candidate &c) { return int64_t(c.width) * c.height; };
    // Better size first (exact, then the largest that fits, then the
    // smallest that does not), then the better format.
    auto better = [&](const Candidate &a, const Candidate &b) {
        if (exact(a) != exact(b)) {
            return exact(a);
        }
        if (!exact(a)) {
            if (fits(a) != fits(b)) {
                return fits(a);
            }
            if (area(a) != area(b)) {
                return fits(a) ? area(a) > area(b) : area(a) < area(b);
            }
        }
        if (a.usable.klass != b.usable.klass) {
            return a.usable.klass < b.usable.klass;
        }
        return a.usable.rank < b.usable.rank;
    };
    const Candidate best = *std::min_element(candidates.begin(), candidates.end(), better);

    ModeChoice choice;
    choice.v4l2_fourcc = best.usable.format->v4l2_fourcc;
    choice.drm_fourcc = best.usable.drm_fourcc;
    choice.width = best.width;
    choice.height = best.height;

    std::string why;
    if (exact(best)) {
        why = size_from + " (" + size_text(want_w, want_h) + ")";
    } else {
        // Say what the wanted size would have needed, if the camera has it.
        std::string only_as;
        for (const CameraPixelFormat &format : camera.formats) {
            for (const CameraFrameSize &size : format.sizes) {
                if (size.contains(want_w, want_h) && !usable(format, wanted)) {
                    only_as += (only_as.empty() ? "" : " ") + fourcc_text(format.v4l2_fourcc);
                    break;
                }
            }
        }
        why = "not " + size_from + " (" + size_text(want_w, want_h) + "): " +
              (only_as.empty()
                   ? "the camera does not offer it in a format fencecam shows"
                   : "the camera offers it only as " + only_as + ", which fencecam does not show") +
              "; the " + (fits(best) ? "largest size that fits" : "smallest size above it") +
              " in one it shows";
    }
    why += best.usable.klass == 0
               ? "; " + fourcc_text(choice.drm_fourcc) + ", which the output scans out"
               : "; " + fourcc_text(choice.drm_fourcc) +
                     ", which the renderer composites (the output scans out " +
                     format_list(wanted.scanout_formats) + ")";

    const std::vector<FrameInterval> &intervals = best.size->intervals;
    if (intervals.empty()) {
        why += "; the camera lists no rates: its own";
    } else if (wanted.fps > 0) {
        choice.interval = *std::min_element(intervals.begin(), intervals.end(),
                                            [&](const FrameInterval &a, const FrameInterval &b) {
                                                return std::abs(a.fps() - wanted.fps) <
                                                       std::abs(b.fps() - wanted.fps);
                                            });
        why += "; " + fps_text(choice.interval.fps()) + ", the nearest to --fps " +
               std::to_string(wanted.fps);
    } else {
        // Fastest first: the first the display keeps up with, else the slowest.
        auto fitting =
            std::find_if(intervals.begin(), intervals.end(), [&](const FrameInterval &i) {
                return wanted.max_fps <= 0 || i.fps() < wanted.max_fps + 0.5;
            });
        choice.interval = fitting != intervals.end() ? *fitting : intervals.back();
        why += "; " + fps_text(choice.interval.fps()) +
               (fitting == intervals.begin() ? ", the highest at this size"
                                             : ", the highest at this size up to the display's " +
                                                   std::to_string(wanted.max_fps) + " Hz");
    }
    choice.why = std::move(why);
    return {choice, ""};
}

} // namespace fencecam
