// SPDX-License-Identifier: GPL-2.0-only
/* The in-tree sw_sync is built in and declares no module information. */
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("sw_sync timelines for testing dma-fence users (out of tree)");
