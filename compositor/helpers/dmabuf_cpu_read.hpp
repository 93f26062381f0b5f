// Reading a dma-buf's pixels with the CPU without ever blocking the
// compositor.
//
// The kernel's way to bracket CPU access to a dma-buf is DMA_BUF_IOCTL_SYNC
// (START, then END): it makes caches coherent with the device that wrote
// the buffer. But START also waits for every write fence in the dma-buf's
// reservation object, with no bound: a producer that never signals (a
// stalled camera, a hostile client's fence) would freeze the event loop,
// and with it every output and client.
//
// So a read begins with poll(POLLIN) and a zero timeout, which asks the
// same question (have all write fences signalled?) without waiting; only
// then does START run, with nothing left to wait for. A dma-buf still
// being written is not read: the caller skips this frame and shows what it
// had. (A writer that adds a fence between the poll and the ioctl would
// still be waited for; a client that has committed a buffer must not write
// it, and fencecam's own camera buffers are not queued while shown.)
#pragma once

namespace fencecam {

// Starts a CPU read of the dma-buf `fd` if nothing is writing it; false
// (and nothing started) if a write fence is still pending.
bool begin_dmabuf_cpu_read(int fd);

// Ends a read that begin_dmabuf_cpu_read started.
void end_dmabuf_cpu_read(int fd);

} // namespace fencecam
