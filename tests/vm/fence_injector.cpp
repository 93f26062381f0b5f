// A producer whose completion the test controls: one sw_sync fence, held by
// this process, added as a write fence to every camera dma-buf another
// process (fencecam) holds. From then on each sync_file exported from those
// buffers includes it, so a consumer that honours the buffers' write fences
// cannot latch a frame until the test says "signal", although vivid goes on
// writing frames and DQBUF goes on returning them.
//
// Usage: fencecam-fence-injector PID
// Prints "held N" (N camera dma-bufs), then reads commands from stdin:
// "signal" signals the fence and prints "signalled NS" (CLOCK_MONOTONIC).
// End of input signals it too, so nothing stays held when the test dies.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>

#include "dma_fence.hpp"
#include "process_dmabufs.hpp"

using fencecam::UniqueFd;
using namespace fencecam::vm;

namespace {

long long monotonic_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s PID\n", argv[0]);
        return 2;
    }
    const auto dmabufs = camera_dmabufs(static_cast<pid_t>(std::atoi(argv[1])));
    if (dmabufs.empty()) {
        std::fprintf(stderr, "fence injector: process %s holds no videobuf2 dma-buf\n", argv[1]);
        return 1;
    }
    SwSyncTimeline timeline;
    UniqueFd fence = timeline ? timeline.create_fence(1, "test-held") : UniqueFd();
    if (!fence) {
        std::fprintf(stderr, "fence injector: %s: %s\n", SwSyncTimeline::path,
                     std::strerror(errno));
        return 1;
    }
    for (const auto &dmabuf : dmabufs) {
        if (!import_sync_file(dmabuf.get(), DMA_BUF_SYNC_WRITE, fence.get())) {
            std::fprintf(stderr, "fence injector: DMA_BUF_IOCTL_IMPORT_SYNC_FILE: %s\n",
                         std::strerror(errno));
            timeline.advance(1);
            return 1;
        }
    }
    std::printf("held %zu\n", dmabufs.size());
    std::fflush(stdout);

    std::string command;
    while (std::getline(std::cin, command) && command != "signal") {
    }
    const long long signalled_ns = monotonic_ns();
    if (!timeline.advance(1)) {
        std::fprintf(stderr, "fence injector: signal: %s\n", std::strerror(errno));
        return 1;
    }
    std::printf("signalled %lld\n", signalled_ns);
    return 0;
}
