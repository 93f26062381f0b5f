// Benchmarks only: the time a test camera says a frame was complete.
//
// To compare pipelines that learn of a frame in different ways (a fence, a
// DQBUF, a client's commit), a benchmark needs one clock that none of them
// owns. vivid with `stamp_completion_time=1` (kernel/test-aids) writes
// CLOCK_MONOTONIC nanoseconds over the first 8 bytes of each frame just
// before it completes. Reading it maps the frame for the CPU, which is why
// fencecam does it only under `--completion-stamps`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "listener.hpp"
#include "wlr.hpp"

namespace fencecam {

// Each buffer is mapped once, for as long as it lives. An mmap or munmap
// per frame would take the process's mmap lock for writing on the path to
// the screen, and a compositor thread at real-time priority would then wait
// for any reader of that lock that the CPU load preempts (khugepaged runs at
// nice 19): 0.5 to 0.9 s, a few times in every 20 s under stress-ng in the
// test VM.
class CompletionStamps {
  public:
    // The stamp at the start of the buffer's first dma-buf, if it has one.
    std::optional<int64_t> read(wlr_buffer *buffer);

  private:
    struct Mapping {
        ~Mapping();
        wlr_buffer *buffer;
        void *address;
        size_t size;
        Listener<> buffer_destroy;
    };

    const Mapping *map(wlr_buffer *buffer, int fd);
    void handle_buffer_destroy(Mapping &mapping);

    std::map<wlr_buffer *, std::unique_ptr<Mapping>> mappings_;
};

} // namespace fencecam
