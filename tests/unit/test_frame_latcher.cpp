// The latcher's rules with fake fences: an eventfd per fence (readable =
// signalled) and a table of what each fence signalled with.
#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <vector>

#include <sys/eventfd.h>

#include "frame_latcher.hpp"

using namespace fencecam;
using namespace std::chrono_literals;

namespace {

class LatcherTest : public ::testing::Test {
  protected:
    LatcherTest()
        : loop_(wl_event_loop_create()) {}
    ~LatcherTest() override {
        latcher_.reset();
        wl_event_loop_destroy(loop_);
    }

    void make(SyncMode mode, std::chrono::milliseconds timeout = 1000ms, unsigned slots = 4) {
        FrameLatcher::Hooks hooks;
        hooks.latch = [this](unsigned slot, const FrameTimes &times) {
            latched_.push_back(slot);
            times_.push_back(times);
        };
        hooks.requeue = [this](unsigned slot) { requeued_.push_back(slot); };
        hooks.read_fence = [this](int fd) {
            auto alias = aliases_.find(fd);
            return fences_.at(alias != aliases_.end() ? alias->second : fd);
        };
        hooks.current_writers = [this](unsigned slot) {
            auto writer = writers_.find(slot);
            if (writer == writers_.end()) {
                return UniqueFd();
            }
            // The kernel exports a new sync_file each time: a dup, read
            // through the original's entry.
            UniqueFd copy(dup(writer->second.get()));
            aliases_[copy.get()] = writer->second.get();
            return copy;
        };
        latcher_ = std::make_unique<FrameLatcher>(loop_, mode, timeout, slots, std::move(hooks));
    }

    // A fake fence for `slot`, handed to the latcher as it would be after QBUF.
    void queue(unsigned slot) {
        UniqueFd fence(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        fences_[fence.get()] = FenceState{};
        aliases_.erase(fence.get());
        fence_of_[slot] = fence.get();
        // The test's own handle on the fence: it can still signal it after
        // the latcher has closed its copy.
        signaller_[slot] = UniqueFd(dup(fence.get()));
        latcher_->queued(slot, std::move(fence));
    }

    // The fence signals (with `error`, at `timestamp_ns`, default now); the
    // latcher hears of it at the next dispatch, unless `dispatch_now` is off.
    void signal(unsigned slot, int error = 0, int64_t timestamp_ns = -1, bool dispatch_now = true) {
        signal_fd(fence_of_.at(slot), signaller_.at(slot).get(), error, timestamp_ns, dispatch_now);
    }

    // Another writer adds its fence to `slot`'s buffer (a device or process
    // with DMA_BUF_IOCTL_IMPORT_SYNC_FILE); the test signals it with
    // signal_writer.
    void add_writer(unsigned slot) {
        UniqueFd fence(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        fences_[fence.get()] = FenceState{};
        aliases_.erase(fence.get());
        writers_[slot] = std::move(fence);
    }

    void signal_writer(unsigned slot, int error = 0) {
        int fd = writers_.at(slot).get();
        signal_fd(fd, fd, error, -1, true);
    }

    void signal_fd(int fd, int signaller, int error, int64_t timestamp_ns, bool dispatch_now) {
        FenceState &state = fences_[fd];
        state.status = error ? FenceState::Status::error : FenceState::Status::signalled;
        state.error = error;
        state.timestamp_ns = timestamp_ns >= 0 ? timestamp_ns : monotonic_ns();
        signalled_ns_ = state.timestamp_ns;
        uint64_t one = 1;
        ASSERT_EQ(write(signaller, &one, sizeof one), static_cast<ssize_t>(sizeof one));
        if (dispatch_now) {
            dispatch();
        }
    }

    void dispatch(int timeout_ms = 0) { wl_event_loop_dispatch(loop_, timeout_ms); }

    wl_event_loop *loop_;
    std::unique_ptr<FrameLatcher> latcher_;
    std::map<int, FenceState> fences_;
    std::map<unsigned, int> fence_of_;
    std::map<unsigned, UniqueFd> signaller_;
    std::map<unsigned, UniqueFd> writers_;
    std::map<int, int> aliases_; // a writer fence's copy -> the original
    std::vector<unsigned> latched_;
    std::vector<unsigned> requeued_;
    std::vector<FrameTimes> times_;
    int64_t signalled_ns_ = 0;
};

TEST_F(LatcherTest, NothingIsLatchedBeforeItsFenceSignals) {
    make(SyncMode::fence);
    queue(0);
    dispatch();
    EXPECT_TRUE(latched_.empty());
    // DQBUF alone proves nothing in fence mode.
    latcher_->dequeued(0, false);
    EXPECT_TRUE(latched_.empty());
    signal(0);
    EXPECT_EQ(latched_, std::vector<unsigned>{0});
    EXPECT_EQ(times_[0].ready_ns, signalled_ns_) << "ready time is the fence's signal timestamp";
    EXPECT_EQ(times_[0].ready_from, ReadySource::fence);
}

TEST_F(LatcherTest, LatchesWithoutWaitingForDqbuf) {
    make(SyncMode::fence);
    queue(0);
    signal(0);
    EXPECT_EQ(latched_, std::vector<unsigned>{0});
    EXPECT_TRUE(requeued_.empty());
}

TEST_F(LatcherTest, OutOfOrderFencesNeverMoveThePictureBackwards) {
    make(SyncMode::fence);
    queue(0);
    queue(1);
    queue(2);
    signal(1);
    signal(0); // older than what is on screen: dropped
    signal(2);
    EXPECT_EQ(latched_, (std::vector<unsigned>{1, 2}));
    EXPECT_EQ(latcher_->counters().stale, 1u);
    for (size_t i = 1; i < times_.size(); ++i) {
        EXPECT_GT(times_[i].sequence, times_[i - 1].sequence);
    }
}

TEST_F(LatcherTest, ErrorFenceIsNeverShownAndComesBackAfterDqbuf) {
    make(SyncMode::fence);
    queue(0);
    signal(0, -EIO);
    EXPECT_TRUE(latched_.empty());
    EXPECT_EQ(latcher_->counters().errors, 1u);
    EXPECT_TRUE(requeued_.empty()) << "still with the producer until DQBUF";
    latcher_->dequeued(0, true);
    EXPECT_EQ(requeued_, std::vector<unsigned>{0});
}

TEST_F(LatcherTest, ErrorBufferIsNeverShownInDqbufMode) {
    make(SyncMode::dqbuf);
    latcher_->queued(0, UniqueFd());
    latcher_->dequeued(0, true);
    EXPECT_TRUE(latched_.empty());
    EXPECT_EQ(latcher_->counters().errors, 1u);
    EXPECT_EQ(requeued_, std::vector<unsigned>{0});
}

TEST_F(LatcherTest, DqbufModeLatchesOnDqbuf) {
    make(SyncMode::dqbuf);
    latcher_->queued(0, UniqueFd());
    EXPECT_TRUE(latched_.empty());
    latcher_->dequeued(0, false);
    EXPECT_EQ(latched_, std::vector<unsigned>{0});
    EXPECT_EQ(times_[0].ready_from, ReadySource::dqbuf);
}

TEST_F(LatcherTest, RequeueOnlyAfterReleaseAndDqbuf) {
    make(SyncMode::fence);
    queue(0);
    signal(0);
    latcher_->released(0); // released before DQBUF: the camera still has it
    EXPECT_TRUE(requeued_.empty());
    latcher_->dequeued(0, false);
    EXPECT_EQ(requeued_, std::vector<unsigned>{0});

    queue(1);
    signal(1);
    latcher_->dequeued(1, false); // DQBUF'd but the scene still reads it
    EXPECT_EQ(requeued_, std::vector<unsigned>{0});
    latcher_->released(1);
    EXPECT_EQ(requeued_, (std::vector<unsigned>{0, 1}));
}

TEST_F(LatcherTest, StalledFenceIsAbandonedAndCounted) {
    make(SyncMode::fence, 20ms);
    queue(0);
    queue(1);
    for (int i = 0; i < 50 && latcher_->counters().stalls < 1; ++i) {
        dispatch(10);
    }
    EXPECT_EQ(latcher_->counters().stalls, 1u);
    // The next fence still latches: nothing is blocked by the stalled one.
    signal(1);
    EXPECT_EQ(latched_, std::vector<unsigned>{1});
    // The abandoned frame is never shown, even when the camera returns it
    // complete after all; it just goes back to the camera.
    latcher_->dequeued(0, false);
    EXPECT_EQ(latched_, std::vector<unsigned>{1});
    EXPECT_EQ(requeued_, std::vector<unsigned>{0});
}

TEST_F(LatcherTest, EachStalledFenceGetsItsOwnFullBound) {
    make(SyncMode::fence, 20ms);
    int64_t start = monotonic_ns();
    queue(0);
    queue(1);
    queue(2);
    std::vector<int64_t> abandoned_at;
    for (int i = 0; i < 200 && latcher_->counters().stalls < 3; ++i) {
        uint64_t before = latcher_->counters().stalls;
        dispatch(5);
        if (latcher_->counters().stalls > before) {
            abandoned_at.push_back(monotonic_ns());
        }
    }
    EXPECT_EQ(latcher_->counters().stalls, 3u);
    EXPECT_TRUE(latched_.empty());
    // One after another, each a full bound after the one before: queue
    // depth never eats into a fence's wait.
    ASSERT_EQ(abandoned_at.size(), 3u);
    int64_t previous = start;
    for (int64_t at : abandoned_at) {
        EXPECT_GE(at - previous, 20'000'000);
        previous = at;
    }
}

TEST_F(LatcherTest, NewestFrameDequeuedBeforeItsFenceCallbackIsShown) {
    make(SyncMode::fence);
    queue(0);
    queue(1);
    // Both complete within one event-loop iteration: DQBUF returns both
    // before either fence callback has run.
    signal(0, 0, -1, false);
    signal(1, 0, -1, false);
    latcher_->dequeued(0, false);
    latcher_->dequeued(1, false);
    EXPECT_EQ(latched_, (std::vector<unsigned>{0, 1}));
    EXPECT_EQ(requeued_, std::vector<unsigned>{}) << "both are on screen or on the way";
    dispatch(); // the fence callbacks have nothing left to do
    EXPECT_EQ(latched_, (std::vector<unsigned>{0, 1}));
}

TEST_F(LatcherTest, SlotDequeuedWithAPendingFenceWaitsForIt) {
    make(SyncMode::fence);
    queue(0);
    latcher_->dequeued(0, false);
    EXPECT_TRUE(requeued_.empty()) << "requeueing it would lose the frame unjudged";
    signal(0, -EIO);
    EXPECT_TRUE(latched_.empty());
    EXPECT_EQ(requeued_, std::vector<unsigned>{0});
}

TEST_F(LatcherTest, StubTimestampBeforeQueueingIsNotTheReadyTime) {
    make(SyncMode::fence);
    int64_t before_queue = monotonic_ns();
    queue(0);
    signal(0, 0, 1); // signalled at boot, long before this frame existed
    ASSERT_EQ(times_.size(), 1u);
    EXPECT_GE(times_[0].ready_ns, before_queue);
    EXPECT_GE(times_[0].ready_ns, times_[0].queued_ns);
    EXPECT_EQ(times_[0].ready_from, ReadySource::learnt) << "and the record says so";
}

// The camera completed the buffer before its fence was exported (a race the
// kernel allows): the stub is signalled when handed over, and the frame was
// ready then, not when the event loop got round to it.
TEST_F(LatcherTest, StubSignalledWhenHandedOverIsReadyThen) {
    make(SyncMode::fence);
    UniqueFd fence(eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK));
    fences_[fence.get()] = FenceState{FenceState::Status::signalled, 0, 1};
    int64_t handed_over = monotonic_ns();
    latcher_->queued(0, std::move(fence));
    int64_t after_hand_over = monotonic_ns();
    std::this_thread::sleep_for(20ms);
    dispatch();
    ASSERT_EQ(times_.size(), 1u);
    EXPECT_EQ(times_[0].ready_from, ReadySource::learnt);
    EXPECT_GE(times_[0].ready_ns, handed_over);
    EXPECT_LE(times_[0].ready_ns, after_hand_over) << "not the later dispatch";
}

TEST_F(LatcherTest, NewBoundAppliesToTheFenceBeingTimed) {
    make(SyncMode::fence, 10s);
    queue(0);
    latcher_->set_fence_timeout(20ms);
    for (int i = 0; i < 50 && latcher_->counters().stalls < 1; ++i) {
        dispatch(10);
    }
    EXPECT_EQ(latcher_->counters().stalls, 1u);
}

// Another writer's fence on a buffer DQBUF returned: KMS would wait for it
// without bound, so the latcher waits first.
TEST_F(LatcherTest, DqbufModeWaitsForAnotherWritersFence) {
    make(SyncMode::dqbuf);
    latcher_->queued(0, UniqueFd());
    add_writer(0);
    latcher_->dequeued(0, false);
    EXPECT_TRUE(latched_.empty());
    EXPECT_TRUE(requeued_.empty()) << "the other writer still writes it";
    signal_writer(0);
    EXPECT_EQ(latched_, std::vector<unsigned>{0});
    EXPECT_EQ(times_[0].ready_ns, signalled_ns_) << "ready when the last writer was done";
    EXPECT_EQ(times_[0].ready_from, ReadySource::fence);
}

// A fence added after the producer's was taken is not in the producer's
// sync_file: it is read when the producer's signals.
TEST_F(LatcherTest, FenceModeWaitsForAWriterAddedAfterTheFenceWasTaken) {
    make(SyncMode::fence);
    queue(0);
    add_writer(0);
    signal(0);
    EXPECT_TRUE(latched_.empty());
    latcher_->dequeued(0, false);
    EXPECT_TRUE(latched_.empty());
    EXPECT_TRUE(requeued_.empty());
    signal_writer(0);
    EXPECT_EQ(latched_, std::vector<unsigned>{0});
}

TEST_F(LatcherTest, AnotherWritersStalledFenceIsAbandonedUnderTheSameBound) {
    make(SyncMode::dqbuf, 20ms);
    latcher_->queued(0, UniqueFd());
    latcher_->queued(1, UniqueFd());
    add_writer(0);
    latcher_->dequeued(0, false);
    for (int i = 0; i < 50 && latcher_->counters().stalls < 1; ++i) {
        dispatch(10);
    }
    EXPECT_EQ(latcher_->counters().stalls, 1u);
    EXPECT_TRUE(latched_.empty());
    EXPECT_EQ(requeued_, std::vector<unsigned>{0}) << "back to the camera, never shown";
    latcher_->dequeued(1, false); // the next frame has no other writer
    EXPECT_EQ(latched_, std::vector<unsigned>{1});
}

TEST_F(LatcherTest, AnotherWritersErrorIsNeverShown) {
    make(SyncMode::dqbuf);
    latcher_->queued(0, UniqueFd());
    add_writer(0);
    latcher_->dequeued(0, false);
    signal_writer(0, -EIO);
    EXPECT_TRUE(latched_.empty());
    EXPECT_EQ(latcher_->counters().errors, 1u);
    EXPECT_EQ(requeued_, std::vector<unsigned>{0});
}

} // namespace
