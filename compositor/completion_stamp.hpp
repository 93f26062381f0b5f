// Benchmarks only: the time a test camera says a frame was complete.
//
// To compare pipelines that learn of a frame in different ways (a fence, a
// DQBUF, a client's commit), a benchmark needs one clock that none of them
// owns. vivid with `stamp_completion_time=1` (kernel/test-aids) writes
// CLOCK_MONOTONIC nanoseconds over the first 8 bytes of each frame just
// before it completes. Reading it maps the frame for the CPU, which is why
// fencecam does it only under `--completion-stamps`.
#pragma once

#include <cstdint>
#include <optional>

#include "wlr.hpp"

namespace fencecam {

// The stamp at the start of the buffer's first dma-buf, if it has one.
std::optional<int64_t> read_completion_stamp(wlr_buffer *buffer);

} // namespace fencecam
