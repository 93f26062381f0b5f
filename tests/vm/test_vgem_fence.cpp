// Contract: a write fence on a dma-buf (here vgem's, which a test can signal
// at will, as vb2's release fence will be) keeps the buffer not ready for
// readers: poll(POLLIN) and the sync_file from DMA_BUF_IOCTL_EXPORT_SYNC_FILE
// stay unsignalled until the fence signals, and become ready when it does.
#include <gtest/gtest.h>

#include <cstring>

#include <xf86drm.h>

#include "devices.hpp"
#include "dma_fence.hpp"

using fencecam::UniqueFd;
using namespace fencecam::vm;

namespace {

// vgem's uAPI (include/uapi/drm/vgem_drm.h; libdrm does not ship it).
struct vgem_fence_attach {
    std::uint32_t handle;
    std::uint32_t flags;
    std::uint32_t out_fence;
    std::uint32_t pad;
};
struct vgem_fence_signal {
    std::uint32_t fence;
    std::uint32_t flags;
};
constexpr std::uint32_t vgem_fence_write = 0x1;
constexpr unsigned long vgem_ioctl_fence_attach =
    DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach);
constexpr unsigned long vgem_ioctl_fence_signal =
    DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal);

class VgemFence : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto path = find_drm_node("vgem", DrmNode::Card);
        ASSERT_TRUE(path) << "no vgem DRM device";
        drm_.reset(::open(path->c_str(), O_RDWR | O_CLOEXEC));
        ASSERT_TRUE(drm_);
        drm_mode_create_dumb create{};
        create.width = 640;
        create.height = 480;
        create.bpp = 32;
        ASSERT_EQ(drmIoctl(drm_.get(), DRM_IOCTL_MODE_CREATE_DUMB, &create), 0)
            << std::strerror(errno);
        handle_ = create.handle;
        int fd = -1;
        ASSERT_EQ(drmPrimeHandleToFD(drm_.get(), handle_, DRM_CLOEXEC | DRM_RDWR, &fd), 0)
            << std::strerror(errno);
        dmabuf_.reset(fd);
    }

    std::uint32_t attach_write_fence() {
        vgem_fence_attach attach{
            .handle = handle_, .flags = vgem_fence_write, .out_fence = 0, .pad = 0};
        EXPECT_EQ(drmIoctl(drm_.get(), vgem_ioctl_fence_attach, &attach), 0)
            << std::strerror(errno);
        return attach.out_fence;
    }

    void signal(std::uint32_t fence) {
        vgem_fence_signal args{.fence = fence, .flags = 0};
        ASSERT_EQ(drmIoctl(drm_.get(), vgem_ioctl_fence_signal, &args), 0) << std::strerror(errno);
    }

    UniqueFd drm_;
    UniqueFd dmabuf_;
    std::uint32_t handle_ = 0;
};

} // namespace

TEST_F(VgemFence, UnfencedBufferIsReady) {
    EXPECT_EQ(ready_events(dmabuf_.get(), POLLIN, 0), POLLIN);
    UniqueFd sync_file = export_sync_file(dmabuf_.get(), DMA_BUF_SYNC_READ);
    ASSERT_TRUE(sync_file) << "DMA_BUF_IOCTL_EXPORT_SYNC_FILE: " << std::strerror(errno);
    EXPECT_EQ(sync_file_status(sync_file.get()), 1);
}

TEST_F(VgemFence, WriteFenceHoldsReadersUntilSignalled) {
    const std::uint32_t fence = attach_write_fence();
    UniqueFd sync_file = export_sync_file(dmabuf_.get(), DMA_BUF_SYNC_READ);
    ASSERT_TRUE(sync_file) << "DMA_BUF_IOCTL_EXPORT_SYNC_FILE: " << std::strerror(errno);

    EXPECT_EQ(ready_events(dmabuf_.get(), POLLIN, 0), 0) << "dma-buf ready before the signal";
    EXPECT_EQ(sync_file_status(sync_file.get()), 0);
    // Not just not yet: a reader that waits stays blocked.
    EXPECT_EQ(ready_events(sync_file.get(), POLLIN, 100), 0) << "sync_file ready before the signal";
    EXPECT_EQ(ready_events(dmabuf_.get(), POLLIN, 100), 0) << "dma-buf ready before the signal";

    signal(fence);
    EXPECT_EQ(ready_events(sync_file.get(), POLLIN, 1000), POLLIN);
    EXPECT_EQ(ready_events(dmabuf_.get(), POLLIN, 1000), POLLIN);
    EXPECT_EQ(sync_file_status(sync_file.get()), 1);
}

TEST_F(VgemFence, SyncFileExportedAfterTheSignalIsSignalled) {
    signal(attach_write_fence());
    UniqueFd sync_file = export_sync_file(dmabuf_.get(), DMA_BUF_SYNC_READ);
    ASSERT_TRUE(sync_file);
    EXPECT_EQ(sync_file_status(sync_file.get()), 1);
}
