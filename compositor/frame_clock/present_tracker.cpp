#include "present_tracker.hpp"

namespace fencecam {

void PresentTracker::latched(const FrameRecord &frame) {
    if (!in_flight_.empty() && in_flight_.back().commit_seq == 0) {
        in_flight_.back().record.replaced = true;
        finish(in_flight_.size() - 1, -1);
    }
    in_flight_.push_back({frame, 0});
}

void PresentTracker::set_v4l2_sequence(uint64_t sequence, int64_t v4l2_sequence) {
    for (InFlight &frame : in_flight_) {
        if (frame.record.sequence == sequence) {
            frame.record.v4l2_sequence = v4l2_sequence;
            frame.record.awaits_v4l2_sequence = false;
        }
    }
    for (auto it = awaiting_number_.begin(); it != awaiting_number_.end(); ++it) {
        if (it->sequence == sequence) {
            it->v4l2_sequence = v4l2_sequence;
            it->awaits_v4l2_sequence = false;
            stats_.record(*it);
            awaiting_number_.erase(it);
            return;
        }
    }
}

// The scene samples the buffer while it builds a commit: the frame will be on
// screen with the output's next commit, if that succeeds.
void PresentTracker::sampled(wlr_scene_output_sample_event *event, bool cpu_copy) {
    if (in_flight_.empty() || in_flight_.back().commit_seq != 0) {
        return; // the same frame sampled again (e.g. the cursor moved)
    }
    wlr_output *output = event->output->output;
    uint32_t commit_seq = output->commit_seq + 1;
    // An older frame waiting for this same commit was sampled by one that
    // failed (commit_seq only counts successful commits): this commit
    // shows the newer frame, so the older one was replaced.
    for (size_t index = in_flight_.size() - 1; index-- > 0;) {
        if (in_flight_[index].commit_seq >= commit_seq) {
            in_flight_[index].record.replaced = true;
            finish(index, -1);
        }
    }
    in_flight_.back().commit_seq = commit_seq;
    in_flight_.back().record.zero_copy = event->direct_scanout;
    in_flight_.back().record.cpu_copy = cpu_copy;
    if (!present_.connected()) {
        present_.connect(&output->events.present, this, &PresentTracker::handle_present);
        output_destroy_.connect(&output->events.destroy, this,
                                &PresentTracker::handle_output_destroy);
    }
}

void PresentTracker::handle_output_destroy() {
    finish_all();
}

void PresentTracker::handle_present(wlr_output_event_present *event) {
    int64_t when = int64_t(event->when.tv_sec) * 1'000'000'000 + event->when.tv_nsec;
    while (!in_flight_.empty() && in_flight_.front().commit_seq != 0 &&
           in_flight_.front().commit_seq <= event->commit_seq) {
        bool shown = event->presented && in_flight_.front().commit_seq == event->commit_seq;
        finish(0, shown ? when : -1);
    }
}

void PresentTracker::finish(size_t index, int64_t present_ns) {
    FrameRecord record = in_flight_[index].record;
    record.present_ns = present_ns;
    if (present_ns < 0) {
        record.zero_copy = false;
        record.cpu_copy = false;
    }
    in_flight_.erase(in_flight_.begin() + static_cast<long>(index));
    // The page flip can come before the camera's DQBUF is handled.
    if (record.awaits_v4l2_sequence) {
        awaiting_number_.push_back(record);
    } else {
        stats_.record(record);
    }
}

void PresentTracker::finish_all() {
    while (!in_flight_.empty()) {
        finish(0, -1);
    }
    for (FrameRecord &record : awaiting_number_) {
        record.awaits_v4l2_sequence = false;
        stats_.record(record);
    }
    awaiting_number_.clear();
    present_.disconnect();
    output_destroy_.disconnect();
}

} // namespace fencecam
