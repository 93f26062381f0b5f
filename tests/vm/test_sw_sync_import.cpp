// Contract: a sw_sync fence imported into a vivid dma-buf as its write fence
// (DMA_BUF_IOCTL_IMPORT_SYNC_FILE) holds the buffer's readers until the
// timeline reaches the fence's point: what an explicit-sync producer's fence
// does to a camera buffer.
#include <gtest/gtest.h>

#include <cstring>

#include "dma_fence.hpp"
#include "vivid.hpp"

using fencecam::UniqueFd;
using namespace fencecam::vm;

TEST(SwSyncImport, FenceInVividDmaBufBlocksUntilTimelineAdvances) {
    VividCapture vivid(V4L2_PIX_FMT_XBGR32, 640, 480, 1);
    ASSERT_EQ(vivid.error, "");
    UniqueFd dmabuf = vivid.export_buffer(0);
    ASSERT_TRUE(dmabuf) << "VIDIOC_EXPBUF: " << std::strerror(errno);

    SwSyncTimeline timeline;
    ASSERT_TRUE(timeline) << "cannot open " << SwSyncTimeline::path << ": " << std::strerror(errno);
    UniqueFd fence = timeline.create_fence(2, "fencecam-test");
    ASSERT_TRUE(fence) << "SW_SYNC_IOC_CREATE_FENCE: " << std::strerror(errno);
    EXPECT_EQ(sync_file_status(fence.get()), 0);

    // Mainline vb2 adds no fence of its own: the buffer is ready until ours.
    EXPECT_EQ(ready_events(dmabuf.get(), POLLIN, 0), POLLIN);
    ASSERT_TRUE(import_sync_file(dmabuf.get(), DMA_BUF_SYNC_WRITE, fence.get()))
        << "DMA_BUF_IOCTL_IMPORT_SYNC_FILE: " << std::strerror(errno);
    UniqueFd exported = export_sync_file(dmabuf.get(), DMA_BUF_SYNC_READ);
    ASSERT_TRUE(exported);

    EXPECT_EQ(ready_events(dmabuf.get(), POLLIN, 100), 0) << "dma-buf ready before the fence";
    EXPECT_EQ(sync_file_status(exported.get()), 0);

    // One step short of the fence's point changes nothing.
    ASSERT_TRUE(timeline.advance(1));
    EXPECT_EQ(ready_events(dmabuf.get(), POLLIN, 100), 0) << "dma-buf ready at point 1 of 2";

    ASSERT_TRUE(timeline.advance(1));
    EXPECT_EQ(ready_events(dmabuf.get(), POLLIN, 1000), POLLIN);
    EXPECT_EQ(sync_file_status(exported.get()), 1);
    EXPECT_EQ(sync_file_status(fence.get()), 1);
}
