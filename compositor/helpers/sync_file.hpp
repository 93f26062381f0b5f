// sync_file helpers: the kernel's userspace handle for a dma_fence.
//
// A sync_file fd polls readable once every fence in it has signalled, which
// is how fencecam waits for a camera frame inside the event loop, without a
// thread and without ever blocking. SYNC_IOC_FILE_INFO tells how it
// signalled (ok or an error) and when (the kernel's signal timestamp).
#pragma once

#include <cstdint>

#include "unique_fd.hpp"

namespace fencecam {

struct FenceState {
    enum class Status { pending, signalled, error };
    Status status = Status::pending;
    int error = 0;             // negative errno when status == error
    int64_t timestamp_ns = -1; // CLOCK_MONOTONIC time of the last signal, if signalled
};

// The state of every fence in a sync_file (the worst one decides).
FenceState read_sync_file(int sync_file);

// Whether every fence in it has signalled, errors and all: a zero-timeout
// poll, one system call, where read_sync_file takes two and the details.
bool sync_file_signalled(int sync_file);

// The fences a reader of this dma-buf must wait for: its producer's writes.
// Empty (errno set) if the kernel cannot export them.
UniqueFd export_write_fences(int dmabuf);

// One sync_file that signals when both have (for multi-planar buffers).
UniqueFd merge_sync_files(int a, int b);

} // namespace fencecam
