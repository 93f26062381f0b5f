// videobuf2 release fences (kernel/patches): the uAPI of our series, for
// system headers that predate it.
#pragma once

#include <linux/videodev2.h>

#ifndef V4L2_MEMORY_FLAG_RELEASE_FENCES
#define V4L2_MEMORY_FLAG_RELEASE_FENCES (1 << 1)
#endif
#ifndef V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES
#define V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES (1 << 9)
#endif
