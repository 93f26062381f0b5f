// The fences a camera has handed out, held and timed by the test: what a
// camera unplugged mid-stream does to them, seen from outside the process
// that streams it.
//
// Usage: fencecam-fence-watch PID BOUND_MS
// Takes copies of PID's camera dma-bufs (process_dmabufs.hpp), exports each
// one's write fences (the videobuf2 release fence of a queued buffer) as a
// sync_file and keeps those still pending; prints "pending N". Then waits
// for a line on stdin, sent by the test right after it pulled the camera,
// and gives every kept fence BOUND_MS from then to signal. One line a fence:
//   fence K: status S after T ms      (S: 1 done, negative: the error)
//   fence K: pending after BOUND_MS ms
// Exits 0 when every kept fence signalled within the bound, else 1.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "dma_fence.hpp"
#include "process_dmabufs.hpp"

using fencecam::UniqueFd;
using namespace fencecam::vm;

namespace {

long long monotonic_ms() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000LL + now.tv_nsec / 1'000'000;
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s PID BOUND_MS\n", argv[0]);
        return 2;
    }
    const int bound_ms = std::atoi(argv[2]);
    std::vector<UniqueFd> pending;
    for (const auto &dmabuf : camera_dmabufs(static_cast<pid_t>(std::atoi(argv[1])))) {
        UniqueFd fence = export_sync_file(dmabuf.get(), DMA_BUF_SYNC_READ);
        if (fence && sync_file_status(fence.get()) == 0) {
            pending.push_back(std::move(fence));
        }
    }
    std::printf("pending %zu\n", pending.size());
    std::fflush(stdout);

    std::string line;
    std::getline(std::cin, line);
    const long long start = monotonic_ms();
    bool all_signalled = true;
    for (size_t k = 0; k < pending.size(); ++k) {
        const long long left = start + bound_ms - monotonic_ms();
        // A sync_file polls readable once its fence has signalled.
        if (ready_events(pending[k].get(), POLLIN, left > 0 ? static_cast<int>(left) : 0) <= 0) {
            std::printf("fence %zu: pending after %d ms\n", k, bound_ms);
            all_signalled = false;
            continue;
        }
        std::printf("fence %zu: status %d after %lld ms\n", k, sync_file_status(pending[k].get()),
                    monotonic_ms() - start);
    }
    return all_signalled ? 0 : 1;
}
