#include "tiling.hpp"

#include <gtest/gtest.h>

namespace fencecam {
namespace {

// Every pixel of the area is in exactly one tile.
void expect_exact_cover(const Tile &area, const std::vector<Tile> &tiles) {
    for (int y = area.y; y < area.y + area.height; ++y) {
        for (int x = area.x; x < area.x + area.width; ++x) {
            int owners = 0;
            for (const Tile &t : tiles) {
                owners += x >= t.x && x < t.x + t.width && y >= t.y && y < t.y + t.height;
            }
            ASSERT_EQ(owners, 1) << "pixel " << x << "," << y;
        }
    }
}

TEST(Tiling, NoWindowsNoTiles) {
    EXPECT_TRUE(tile({0, 0, 640, 480}, 0).empty());
}

TEST(Tiling, OneWindowFillsTheArea) {
    EXPECT_EQ(tile({0, 0, 640, 480}, 1), (std::vector<Tile>{{0, 0, 640, 480}}));
}

TEST(Tiling, TwoWindowsSideBySide) {
    EXPECT_EQ(tile({0, 0, 640, 480}, 2), (std::vector<Tile>{{0, 0, 320, 480}, {320, 0, 320, 480}}));
}

TEST(Tiling, ThreeWindowsTwoRowsTheLastOneWide) {
    EXPECT_EQ(tile({0, 0, 640, 480}, 3),
              (std::vector<Tile>{{0, 0, 320, 240}, {320, 0, 320, 240}, {0, 240, 640, 240}}));
}

TEST(Tiling, OddSizesStillCoverExactly) {
    for (std::size_t count = 1; count <= 10; ++count) {
        const Tile area{7, 3, 101, 67};
        const auto tiles = tile(area, count);
        ASSERT_EQ(tiles.size(), count);
        expect_exact_cover(area, tiles);
    }
}

} // namespace
} // namespace fencecam
