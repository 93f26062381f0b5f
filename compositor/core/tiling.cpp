#include "tiling.hpp"

#include <cmath>
#include <utility>

namespace fencecam {

namespace {

// Splits `length` into `parts` whole-pixel spans starting at `start`; the
// last span takes what the division leaves over.
std::vector<std::pair<int, int>> split(int start, int length, int parts) {
    std::vector<std::pair<int, int>> spans;
    const int each = length / parts;
    for (int i = 0; i < parts; ++i) {
        const int size = i == parts - 1 ? length - each * (parts - 1) : each;
        spans.emplace_back(start + each * i, size);
    }
    return spans;
}

} // namespace

std::vector<Tile> tile(const Tile &area, std::size_t count) {
    std::vector<Tile> tiles;
    if (count == 0) {
        return tiles;
    }
    // As many columns as rows, or one more: the tiles stay close to the
    // area's shape. Rows are filled in order; the last row may be short,
    // and its tiles share its whole width.
    const int total = static_cast<int>(count);
    const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(total))));
    const int rows = (total + columns - 1) / columns;
    const auto row_spans = split(area.y, area.height, rows);
    for (int row = 0; row < rows; ++row) {
        const int in_row = row == rows - 1 ? total - columns * (rows - 1) : columns;
        for (const auto &[x, width] : split(area.x, area.width, in_row)) {
            tiles.push_back({x, row_spans[row].first, width, row_spans[row].second});
        }
    }
    return tiles;
}

} // namespace fencecam
