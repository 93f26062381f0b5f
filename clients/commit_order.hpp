// When fencecam-camera commits a frame: after VIDIOC_DQBUF, or ahead of
// completion, right after VIDIOC_QBUF.
//
// Ahead is only correct when the buffer carries the camera's own write
// fence from QBUF on (videobuf2 release fences, kernel/): the fence is then
// the only thing that lets the compositor read the buffer, and the client is
// off the critical path. Without such fences the buffer exports a signalled
// stub, and a commit before completion would show a frame half-written.
// The choice is pure (unit-tested); the evidence comes from the camera.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fencecam::client {

enum class CommitOrder { after_dqbuf, ahead };

struct OrderChoice {
    CommitOrder order = CommitOrder::after_dqbuf;
    std::string why;    // for the one line the client prints
    bool error = false; // --ahead without release fences
};

// `requested`: --ahead (true), --no-ahead (false), neither (nullopt).
// `fences_sync`: --sync explicit or implicit (with none the client vouches
// for completeness itself, by DQBUF). `release_fences`: the evidence that the
// camera's queue attaches release fences (what it said at VIDIOC_REQBUFS),
// or nullopt if it does not, and its buffers export signalled stubs.
OrderChoice choose_commit_order(std::optional<bool> requested, bool fences_sync,
                                const std::optional<std::string> &release_fences);

// How long a client that commits ahead lets its camera deliver nothing
// before it restarts the camera (docs/ahead-commits.md, "Stalls"). Its ahead
// commits are held by the compositor on fences that only the camera
// signals, and a compositor bounds how long it holds them (fencecam:
// --client-fence-timeout, default 5 s) by disconnecting the client; a
// restart fails those fences instead (-EIO), which the compositor drops
// without disconnecting. One second, or four frame periods of a slower
// camera (`frame_period_ns`, 0 if unknown): a late frame is not a stall.
int64_t ahead_stall_bound_ns(int64_t frame_period_ns);

} // namespace fencecam::client
