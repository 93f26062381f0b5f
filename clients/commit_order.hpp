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
// for completeness itself, by DQBUF). `release_fences`: the evidence that a
// freshly queued buffer carries an unsignalled fence ("vb2:vivid-0"), or
// nullopt if every exported fence was a signalled stub.
OrderChoice choose_commit_order(std::optional<bool> requested, bool fences_sync,
                                const std::optional<std::string> &release_fences);

} // namespace fencecam::client
