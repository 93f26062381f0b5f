// Contract: virtio_gpu offers DRM syncobj timelines (vkms and vgem do not),
// which linux-drm-syncobj-v1 needs: create one, signal a point, wait on it,
// and move fences between points and sync_files both ways.
#include <gtest/gtest.h>

#include <cstring>

#include <xf86drm.h>

#include "devices.hpp"
#include "dma_fence.hpp"

using fencecam::UniqueFd;
using namespace fencecam::vm;

namespace {

constexpr std::int64_t wait_ns = 1'000'000'000;

class VirtioGpuSyncobj : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto path = find_drm_node("virtio_gpu", DrmNode::Render);
        ASSERT_TRUE(path) << "no virtio_gpu render node";
        drm_.reset(::open(path->c_str(), O_RDWR | O_CLOEXEC));
        ASSERT_TRUE(drm_);
        std::uint64_t timeline = 0;
        ASSERT_EQ(drmGetCap(drm_.get(), DRM_CAP_SYNCOBJ_TIMELINE, &timeline), 0);
        ASSERT_EQ(timeline, 1u) << "virtio_gpu lacks DRM_CAP_SYNCOBJ_TIMELINE";
        ASSERT_EQ(drmSyncobjCreate(drm_.get(), 0, &timeline_), 0) << std::strerror(errno);
    }

    void TearDown() override {
        if (timeline_) {
            drmSyncobjDestroy(drm_.get(), timeline_);
        }
    }

    std::uint64_t signalled_point() {
        std::uint64_t point = 0;
        EXPECT_EQ(drmSyncobjQuery(drm_.get(), &timeline_, &point, 1), 0) << std::strerror(errno);
        return point;
    }

    // 0 when `point` has signalled within `timeout_ns`, else the error (-ETIME).
    int wait(std::uint64_t point, std::uint32_t flags = 0, std::int64_t timeout_ns = wait_ns) {
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        const std::int64_t deadline = now.tv_sec * 1'000'000'000LL + now.tv_nsec + timeout_ns;
        return drmSyncobjTimelineWait(drm_.get(), &timeline_, &point, 1, deadline, flags, nullptr);
    }

    UniqueFd drm_;
    std::uint32_t timeline_ = 0;
};

} // namespace

TEST_F(VirtioGpuSyncobj, SignalAndWaitOnAPoint) {
    EXPECT_EQ(signalled_point(), 0u);
    std::uint64_t point = 3;
    ASSERT_EQ(drmSyncobjTimelineSignal(drm_.get(), &timeline_, &point, 1), 0)
        << std::strerror(errno);
    EXPECT_EQ(signalled_point(), 3u);
    EXPECT_EQ(wait(3), 0);
    EXPECT_EQ(wait(2), 0) << "earlier points are signalled too";
    // A later point has no fence yet: waiting for it to be submitted times out.
    EXPECT_EQ(wait(4, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT), -ETIME);
}

TEST_F(VirtioGpuSyncobj, ExportAPointAsSyncFile) {
    std::uint64_t point = 1;
    ASSERT_EQ(drmSyncobjTimelineSignal(drm_.get(), &timeline_, &point, 1), 0);
    // A sync_file holds one fence: move the point to a binary syncobj first,
    // as wlroots' wlr_drm_syncobj_timeline_export_sync_file does.
    std::uint32_t binary = 0;
    ASSERT_EQ(drmSyncobjCreate(drm_.get(), 0, &binary), 0);
    ASSERT_EQ(drmSyncobjTransfer(drm_.get(), binary, 0, timeline_, point, 0), 0)
        << std::strerror(errno);
    int fd = -1;
    ASSERT_EQ(drmSyncobjExportSyncFile(drm_.get(), binary, &fd), 0) << std::strerror(errno);
    UniqueFd sync_file(fd);
    drmSyncobjDestroy(drm_.get(), binary);
    EXPECT_EQ(sync_file_status(sync_file.get()), 1);
}

TEST_F(VirtioGpuSyncobj, ImportAnUnsignalledSyncFileAsAPoint) {
    SwSyncTimeline producer;
    ASSERT_TRUE(producer) << "cannot open " << SwSyncTimeline::path;
    UniqueFd fence = producer.create_fence(1, "fencecam-acquire");
    ASSERT_TRUE(fence);

    std::uint32_t binary = 0;
    ASSERT_EQ(drmSyncobjCreate(drm_.get(), 0, &binary), 0);
    ASSERT_EQ(drmSyncobjImportSyncFile(drm_.get(), binary, fence.get()), 0) << std::strerror(errno);
    ASSERT_EQ(drmSyncobjTransfer(drm_.get(), timeline_, 5, binary, 0, 0), 0)
        << std::strerror(errno);
    drmSyncobjDestroy(drm_.get(), binary);

    // The point exists (a fence is attached) but has not signalled.
    EXPECT_EQ(wait(5, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE), 0);
    EXPECT_EQ(signalled_point(), 0u);
    EXPECT_EQ(wait(5, 0, 100'000'000), -ETIME);

    ASSERT_TRUE(producer.advance(1));
    EXPECT_EQ(wait(5), 0);
    EXPECT_EQ(signalled_point(), 5u);
}
