// CLOCK_MONOTONIC in nanoseconds: the clock of sync_file timestamps, of
// wp_presentation on DRM outputs and of vivid's completion stamps, so every
// time in a frame record can be compared with every other.
#pragma once

#include <cstdint>
#include <ctime>

namespace fencecam {

inline int64_t monotonic_ns() {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

} // namespace fencecam
