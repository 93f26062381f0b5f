#include "commit_order.hpp"

namespace fencecam::client {

OrderChoice choose_commit_order(std::optional<bool> requested, bool fences_sync,
                                const std::optional<std::string> &release_fences) {
    OrderChoice choice;
    if (requested == false) {
        choice.why = "--no-ahead";
        return choice;
    }
    if (!fences_sync) {
        choice.why = "--sync none: the compositor is not asked to wait for the camera";
        return choice;
    }
    if (!release_fences) {
        choice.why = "the camera attaches no release fences (its queue does not offer "
                     "V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES: a queued buffer exports a signalled "
                     "stub), so a frame committed before DQBUF could be shown unfinished";
        choice.error = requested == true;
        return choice;
    }
    choice.order = CommitOrder::ahead;
    choice.why = std::string(requested ? "--ahead" : "detected") +
                 ": the camera attaches release fences (" + *release_fences + ")";
    return choice;
}

int64_t ahead_stall_bound_ns(int64_t frame_period_ns) {
    constexpr int64_t floor_ns = 1'000'000'000;
    return frame_period_ns > floor_ns / 4 ? 4 * frame_period_ns : floor_ns;
}

} // namespace fencecam::client
