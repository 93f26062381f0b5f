// videobuf2 release fences (kernel/patches): the uAPI of our series, for
// system headers that predate it.
#pragma once

#include <cstdint>

#include <linux/videodev2.h>

#ifndef V4L2_MEMORY_FLAG_RELEASE_FENCES
#define V4L2_MEMORY_FLAG_RELEASE_FENCES (1 << 1)
#endif
#ifndef V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES
#define V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES (1 << 9)
#endif
// VIDIOC_QBUF can return the release fence as a sync_file (an out-fence).
#ifndef V4L2_BUF_CAP_SUPPORTS_OUT_FENCE
#define V4L2_BUF_CAP_SUPPORTS_OUT_FENCE (1 << 10)
#endif
#ifndef V4L2_BUF_FLAG_OUT_FENCE
#define V4L2_BUF_FLAG_OUT_FENCE 0x00400000
#endif

namespace fencecam {

// The out-fence VIDIOC_QBUF returned: v4l2_buffer.fence_fd, which older
// headers call reserved2 (the same field). -1 when QBUF returned none.
inline int qbuf_fence_fd(const v4l2_buffer &buf) {
    if (!(buf.flags & V4L2_BUF_FLAG_OUT_FENCE)) {
        return -1;
    }
    return static_cast<int32_t>(buf.reserved2);
}

} // namespace fencecam
