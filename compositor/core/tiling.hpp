// Where each window goes when several share an output: a grid of columns
// and rows that covers the area exactly, without overlap. Two windows sit
// side by side; five make two rows, the second with wider tiles.
#pragma once

#include <cstddef>
#include <vector>

namespace fencecam {

struct Tile {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;

    bool operator==(const Tile &) const = default;
};

// `count` tiles in reading order (left to right, top to bottom). Sizes are
// whole pixels: the remainder of a division goes to the last column or row,
// so the tiles still add up to the area.
std::vector<Tile> tile(const Tile &area, std::size_t count);

} // namespace fencecam
