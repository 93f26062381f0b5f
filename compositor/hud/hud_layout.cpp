#include "hud_layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bitmap_font.hpp"

namespace fencecam {

namespace {

constexpr int margin = 8;
constexpr int text_scale = 2;
constexpr int label_scale = 1;
constexpr int bar_width = 2;
constexpr int graph_x = margin;
constexpr int graph_y = 64;
constexpr int graph_width = int(FrameHistory::capacity) * bar_width;
constexpr int graph_height = 48;
constexpr int rows_y = graph_y + graph_height + 6;

constexpr HudColor premultiply(float r, float g, float b, float a) {
    return {r * a, g * a, b * a, a};
}

constexpr HudColor panel_color = premultiply(0.0f, 0.0f, 0.0f, 0.8f);
constexpr HudColor graph_color = premultiply(0.25f, 0.25f, 0.32f, 0.5f);
constexpr HudColor text_color = premultiply(1.0f, 1.0f, 1.0f, 1.0f);
constexpr HudColor label_color = premultiply(0.75f, 0.75f, 0.8f, 1.0f);
constexpr HudColor refresh_line_color = premultiply(1.0f, 1.0f, 1.0f, 0.8f);
constexpr HudColor on_time_color = premultiply(0.25f, 0.85f, 0.35f, 1.0f);
constexpr HudColor late_color = premultiply(0.95f, 0.8f, 0.2f, 1.0f);
constexpr HudColor very_late_color = premultiply(0.95f, 0.25f, 0.2f, 1.0f);

std::string format(const char *pattern, double value) {
    char text[32];
    std::snprintf(text, sizeof text, pattern, value);
    return text;
}

// Characters that would cross the HUD's right edge are left out rather
// than drawn outside the buffer.
void add_text(HudDrawList &list, int x, int y, int scale, const std::string &text, HudColor color) {
    for (char c : text) {
        if (x + font::glyph_width * scale > list.width) {
            break;
        }
        if (c != ' ') {
            list.glyphs.push_back({x, y, scale, font::glyph_index(c), color});
        }
        x += font::advance * scale;
    }
}

std::string latency_text(const FrameHistory &history) {
    Distribution latency = history.latency();
    return latency.count > 0
               ? format("LAT %.1f", latency.mean_ms) + format(" P99 %.1f MS", latency.p99_ms)
               : "LAT - MS";
}

} // namespace

void FrameHistory::add(const FrameRecord &record) {
    if (record.replaced) {
        ++replaced_;
        return;
    }
    if (record.present_ns < 0) {
        ++dropped_;
    }
    frames_.push_back({record.ready_ns, record.present_ns});
    if (frames_.size() > capacity) {
        frames_.pop_front();
    }
}

// Counted at the display, not at the camera: a compositor that falls behind
// dequeues frames in bursts, but page flips stay a refresh period apart.
double FrameHistory::fps() const {
    std::vector<int64_t> presents;
    for (const Frame &frame : frames_) {
        if (frame.present_ns >= 0) {
            presents.push_back(frame.present_ns);
        }
    }
    if (presents.size() < 2) {
        return 0;
    }
    int64_t newest = presents.back();
    auto first = std::find_if(presents.begin(), presents.end(), [newest](int64_t present) {
        return newest - present <= 1'000'000'000;
    });
    long intervals = std::distance(first, presents.end()) - 1;
    if (intervals < 1 || newest == *first) {
        return 0;
    }
    return double(intervals) * 1e9 / double(newest - *first);
}

Distribution FrameHistory::latency() const {
    std::vector<int64_t> durations;
    for (const Frame &frame : frames_) {
        if (frame.present_ns >= 0) {
            durations.push_back(frame.present_ns - frame.ready_ns);
        }
    }
    return distribution(std::move(durations));
}

void SourceHistories::add(const FrameRecord &record) {
    for (auto &[name, history] : sources_) {
        if (name == record.source) {
            history.add(record);
            return;
        }
    }
    if (sources_.size() < max_sources) {
        sources_.emplace_back(record.source, FrameHistory()).second.add(record);
    }
}

std::vector<std::string> hud_source_rows(const SourceHistories &sources) {
    std::vector<std::string> rows;
    for (const auto &[name, history] : sources.sources()) {
        rows.push_back(name + "  " + latency_text(history));
    }
    return rows;
}

std::array<std::string, 3> hud_text(const FrameHistory &history, const HudStatus &status) {
    double fps = history.fps();
    return {
        status.source + (fps > 0 ? format("  %.1f FPS", fps) : "  - FPS"),
        latency_text(history),
        "DROP " + std::to_string(history.dropped()) + " REPL " +
            std::to_string(history.replaced()) + " STALL " + std::to_string(status.stalls) +
            " ERR " + std::to_string(status.errors),
    };
}

HudDrawList layout_hud(const FrameHistory &history, const HudStatus &status,
                       const SourceHistories &sources) {
    HudDrawList list;
    list.rects.push_back({0, 0, list.width, list.height, panel_color});

    int y = margin;
    for (const std::string &line : hud_text(history, status)) {
        add_text(list, margin, y, text_scale, line, text_color);
        y += font::line_height * text_scale;
    }

    // The graph spans two refresh periods, so the refresh line sits halfway
    // up and a frame shown within one period stays below it.
    list.rects.push_back({graph_x, graph_y, graph_width, graph_height, graph_color});
    int64_t period = status.refresh_ns > 0 ? status.refresh_ns : 16'666'667;
    int x = graph_x + graph_width;
    for (auto frame = history.frames().rbegin(); frame != history.frames().rend(); ++frame) {
        x -= bar_width;
        int height = graph_height;
        HudColor color = very_late_color;
        if (frame->present_ns >= 0) {
            int64_t latency = frame->present_ns - frame->ready_ns;
            double fraction = double(latency) / double(2 * period);
            height = std::clamp(int(std::lround(fraction * graph_height)), 1, graph_height);
            color = latency <= period       ? on_time_color
                    : latency <= 2 * period ? late_color
                                            : very_late_color;
        }
        list.rects.push_back({x, graph_y + graph_height - height, bar_width, height, color});
    }
    int refresh_y = graph_y + graph_height / 2;
    list.rects.push_back({graph_x, refresh_y, graph_width, 1, refresh_line_color});

    // Labels right of the graph: its top (two periods) and the refresh line.
    int label_x = graph_x + graph_width + 6;
    double period_ms = double(period) / 1e6;
    add_text(list, label_x, graph_y, label_scale, format("%.1f MS", 2 * period_ms), label_color);
    add_text(list, label_x, refresh_y - font::glyph_height / 2, label_scale,
             format("%.1f MS", period_ms), label_color);

    y = rows_y;
    for (const std::string &row : hud_source_rows(sources)) {
        add_text(list, margin, y, label_scale, row, text_color);
        y += font::line_height * label_scale;
    }
    return list;
}

} // namespace fencecam
