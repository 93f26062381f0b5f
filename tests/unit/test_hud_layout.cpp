#include <gtest/gtest.h>

#include <string>

#include "bitmap_font.hpp"
#include "hud_layout.hpp"

using namespace fencecam;

namespace {

constexpr int64_t ms = 1'000'000;

FrameRecord frame(int64_t ready_ns, int64_t present_ns) {
    FrameRecord record;
    record.ready_ns = ready_ns;
    record.present_ns = present_ns;
    return record;
}

// 60 frames a second for `count` frames, each shown `latency_ns` after ready.
FrameHistory steady(int count, int64_t latency_ns) {
    FrameHistory history;
    for (int i = 0; i < count; ++i) {
        int64_t ready = 1'000 * ms + int64_t(i) * 16'666'667;
        history.add(frame(ready, ready + latency_ns));
    }
    return history;
}

bool inside(const HudDrawList &list, int x, int y, int width, int height) {
    return x >= 0 && y >= 0 && x + width <= list.width && y + height <= list.height;
}

} // namespace

TEST(BitmapFont, DigitsAndCapitalsHaveGlyphs) {
    const int unknown = font::glyph_index('?');
    for (char c : std::string("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.:-/%=")) {
        EXPECT_NE(font::glyph_index(c), unknown) << c;
    }
}

TEST(BitmapFont, LowerCaseDrawsAsCapitalsAndUnknownAsQuestionMark) {
    EXPECT_EQ(font::glyph_index('q'), font::glyph_index('Q'));
    EXPECT_EQ(font::glyph_index('~'), font::glyph_index('?'));
}

TEST(BitmapFont, EveryGlyphHasInkAndGlyphsDiffer) {
    for (int g = 0; g < font::glyph_count(); ++g) {
        int ink = 0;
        for (int y = 0; y < font::glyph_height; ++y) {
            for (int x = 0; x < font::glyph_width; ++x) {
                ink += font::pixel(g, x, y);
            }
        }
        EXPECT_GT(ink, 0) << "glyph " << g;
    }
    // A typo in the table that made two glyphs the same would show here.
    auto same = [](int a, int b) {
        for (int y = 0; y < font::glyph_height; ++y) {
            for (int x = 0; x < font::glyph_width; ++x) {
                if (font::pixel(a, x, y) != font::pixel(b, x, y)) {
                    return false;
                }
            }
        }
        return true;
    };
    for (int a = 0; a < font::glyph_count(); ++a) {
        for (int b = a + 1; b < font::glyph_count(); ++b) {
            EXPECT_FALSE(same(a, b)) << "glyphs " << a << " and " << b;
        }
    }
}

TEST(BitmapFont, AtlasHoldsEveryGlyphAtItsAdvance) {
    font::Atlas atlas = font::make_atlas();
    ASSERT_EQ(atlas.width, font::glyph_count() * font::advance);
    ASSERT_EQ(atlas.height, font::glyph_height);
    ASSERT_EQ(atlas.alpha.size(), size_t(atlas.width * atlas.height));
    int g = font::glyph_index('7');
    for (int y = 0; y < font::glyph_height; ++y) {
        for (int x = 0; x < font::advance; ++x) {
            bool ink = x < font::glyph_width && font::pixel(g, x, y);
            EXPECT_EQ(atlas.alpha[size_t(y * atlas.width + g * font::advance + x)], ink ? 255 : 0);
        }
    }
}

TEST(FrameHistory, KeepsTheLatestFramesAndCountsEveryDrop) {
    FrameHistory history;
    for (int i = 0; i < 200; ++i) {
        history.add(frame(i * ms, i % 10 == 0 ? -1 : i * ms + 5 * ms));
    }
    ASSERT_EQ(history.frames().size(), FrameHistory::capacity);
    EXPECT_EQ(history.frames().back().ready_ns, 199 * ms);
    EXPECT_EQ(history.dropped(), 20u);
}

TEST(FrameHistory, FpsFromTheLastSecond) {
    EXPECT_NEAR(steady(120, 10 * ms).fps(), 60.0, 0.01);
    EXPECT_EQ(steady(1, 10 * ms).fps(), 0);
    EXPECT_EQ(FrameHistory().fps(), 0);

    // A pause of two seconds: only the frames since count; dropped frames
    // never do.
    FrameHistory history = steady(60, 10 * ms);
    for (int i = 0; i < 31; ++i) {
        int64_t ready = 5'000 * ms + int64_t(i) * 33'333'333;
        history.add(frame(ready, ready + 10 * ms));
        history.add(frame(ready + ms, -1));
    }
    EXPECT_NEAR(history.fps(), 30.0, 0.01);

    // Frames dequeued in a burst are still shown one a refresh period.
    FrameHistory burst;
    for (int i = 0; i < 10; ++i) {
        burst.add(frame(1'000 * ms + i, 1'000 * ms + int64_t(i + 1) * 16'666'667));
    }
    EXPECT_NEAR(burst.fps(), 60.0, 0.01);
}

TEST(FrameHistory, LatencyOfPresentedFramesOnly) {
    FrameHistory history = steady(10, 12 * ms);
    history.add(frame(2'000 * ms, -1));
    Distribution latency = history.latency();
    EXPECT_EQ(latency.count, 10u);
    EXPECT_DOUBLE_EQ(latency.mean_ms, 12.0);
}

TEST(HudText, NumbersAndNames) {
    HudStatus status;
    status.source = "dqbuf";
    status.stalls = 2;
    status.errors = 1;
    FrameHistory history = steady(120, 12'340'000);
    history.add(frame(3'000 * ms, -1));
    auto lines = hud_text(history, status);
    EXPECT_EQ(lines[0].substr(0, 5), "dqbuf");
    EXPECT_NE(lines[0].find(" FPS"), std::string::npos) << lines[0];
    EXPECT_EQ(lines[1], "LAT 12.3 P99 12.3 MS");
    EXPECT_EQ(lines[2], "DROP 1 REPL 0 STALL 2 ERR 1");
}

TEST(HudText, NoFramesYet) {
    auto lines = hud_text(FrameHistory(), HudStatus());
    EXPECT_EQ(lines[0], "NO CAMERA  - FPS");
    EXPECT_EQ(lines[1], "LAT - MS");
    EXPECT_EQ(lines[2], "DROP 0 REPL 0 STALL 0 ERR 0");
}

TEST(HudLayout, PanelFirstAndEverythingInside) {
    HudDrawList list = layout_hud(steady(200, 40 * ms), HudStatus());
    EXPECT_EQ(list.width, hud_width);
    EXPECT_EQ(list.height, hud_height);
    ASSERT_FALSE(list.rects.empty());
    const HudRect &panel = list.rects.front();
    EXPECT_EQ(panel.x, 0);
    EXPECT_EQ(panel.y, 0);
    EXPECT_EQ(panel.width, hud_width);
    EXPECT_EQ(panel.height, hud_height);
    EXPECT_GT(panel.color.a, 0.3f) << "the numbers need a backdrop";
    EXPECT_LT(panel.color.a, 1.0f) << "the picture shows through";
    for (const HudRect &rect : list.rects) {
        EXPECT_TRUE(inside(list, rect.x, rect.y, rect.width, rect.height))
            << rect.x << "," << rect.y << " " << rect.width << "x" << rect.height;
        EXPECT_LE(rect.color.r, rect.color.a) << "colours are premultiplied";
    }
    for (const HudGlyph &glyph : list.glyphs) {
        EXPECT_TRUE(inside(list, glyph.x, glyph.y, font::glyph_width * glyph.scale,
                           font::glyph_height * glyph.scale))
            << glyph.x << "," << glyph.y;
    }
}

TEST(HudLayout, TextTooLongIsCutAtTheEdge) {
    HudStatus status;
    status.source = std::string(100, 'W');
    HudDrawList list = layout_hud(FrameHistory(), status);
    for (const HudGlyph &glyph : list.glyphs) {
        EXPECT_LE(glyph.x + font::glyph_width * glyph.scale, list.width);
    }
}

TEST(HudLayout, SpacesDrawNothing) {
    HudDrawList list = layout_hud(FrameHistory(), HudStatus());
    size_t ink = 0;
    for (const std::string &line : hud_text(FrameHistory(), HudStatus())) {
        for (char c : line) {
            ink += c != ' ';
        }
    }
    // Three lines of text and two labels ("33.3 MS", "16.7 MS": six each).
    EXPECT_EQ(list.glyphs.size(), ink + 12);
}

TEST(HudLayout, OneBarAFrameScaledToTwoPeriods) {
    HudStatus status; // 60 Hz
    FrameHistory history = steady(3, 0);
    history.add(frame(2'000 * ms, 2'000 * ms + 8'333'333)); // half a period
    history.add(frame(2'020 * ms, 2'020 * ms + 25 * ms));   // between one and two
    history.add(frame(2'040 * ms, 2'040 * ms + 100 * ms));  // off the scale
    history.add(frame(2'060 * ms, -1));                     // dropped
    HudDrawList list = layout_hud(history, status);

    // panel, graph backdrop, 7 bars, the refresh line.
    ASSERT_EQ(list.rects.size(), 2u + 7u + 1u);
    const HudRect &graph = list.rects[1];
    const HudRect &line = list.rects.back();
    EXPECT_EQ(line.y, graph.y + graph.height / 2);
    EXPECT_EQ(line.width, graph.width);

    // Newest at the right edge, each bar standing on the graph's floor.
    const HudRect *bars = &list.rects[2];
    const HudRect &dropped = bars[0], &off_scale = bars[1], &late = bars[2], &half = bars[3];
    EXPECT_EQ(dropped.x + dropped.width, graph.x + graph.width);
    for (int i = 0; i < 7; ++i) {
        EXPECT_EQ(bars[i].y + bars[i].height, graph.y + graph.height) << i;
    }
    EXPECT_EQ(half.height, graph.height / 4);
    EXPECT_EQ(off_scale.height, graph.height);
    EXPECT_EQ(dropped.height, graph.height);
    EXPECT_GT(late.height, graph.height / 2);
    EXPECT_EQ(bars[4].height, 1) << "a zero latency still shows a bar";
    // Green on time, another colour late, red when off the scale or dropped.
    EXPECT_GT(half.color.g, half.color.r);
    EXPECT_NE(late.color.g, half.color.g);
    EXPECT_GT(off_scale.color.r, off_scale.color.g);
    EXPECT_GT(dropped.color.r, dropped.color.g);
}

TEST(HudSources, OneRowPerSourceWithItsOwnLatency) {
    SourceHistories sources;
    for (int i = 0; i < 30; ++i) {
        FrameRecord left = frame(i * 16 * ms, i * 16 * ms + 30 * ms);
        left.source = "client fencecam-camera (pid 812)";
        FrameRecord right = frame(i * 16 * ms, i * 16 * ms + 10 * ms);
        right.source = "client fencecam-camera (pid 813)";
        sources.add(left);
        sources.add(right);
    }
    std::vector<std::string> rows = hud_source_rows(sources);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0], "client fencecam-camera (pid 812)  LAT 30.0 P99 30.0 MS");
    EXPECT_EQ(rows[1], "client fencecam-camera (pid 813)  LAT 10.0 P99 10.0 MS");

    // Drawn below the graph, every glyph inside the panel, none unknown.
    HudDrawList list = layout_hud(FrameHistory(), HudStatus(), sources);
    int rows_drawn = 0;
    int last_y = -1;
    for (const HudGlyph &glyph : list.glyphs) {
        EXPECT_TRUE(inside(list, glyph.x, glyph.y, font::glyph_width * glyph.scale,
                           font::glyph_height * glyph.scale));
        if (glyph.scale == 1 && glyph.x == 8 && glyph.y != last_y && glyph.y > 64 + 48) {
            ++rows_drawn;
            last_y = glyph.y;
        }
        EXPECT_NE(glyph.glyph, font::glyph_index('?'));
    }
    EXPECT_EQ(rows_drawn, 2);
}

TEST(HudSources, OnlyAsManyRowsAsTheHudHasRoomFor) {
    SourceHistories sources;
    for (size_t i = 0; i < SourceHistories::max_sources + 2; ++i) {
        FrameRecord record = frame(0, 5 * ms);
        record.source = "client " + std::to_string(i);
        sources.add(record);
    }
    EXPECT_EQ(hud_source_rows(sources).size(), SourceHistories::max_sources);
}
