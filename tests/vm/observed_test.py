"""fencecam's headline claims, observed from outside fencecam, inside tools/vm.

- Zero copy: what vkms' primary plane scans out is read from the kernel by a
  second DRM client (fencecam-plane-probe): the dma-buf behind the plane's
  framebuffer must be one of the camera's own (same inode, exported by
  videobuf2), not a buffer fencecam rendered into. With the HUD on, the same
  probe sees a rendered buffer, so it can tell the two apart.
- Latching after the fence: a fence the test holds (fencecam-fence-injector,
  a sw_sync fence added as a write fence to every camera dma-buf) keeps
  every new frame off the plane, although vivid goes on writing frames and
  DQBUF goes on returning them.
"""

import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402
from compositor_vm_test import (  # noqa: E402
    MODE, OUT_DIR, camera_dmabuf_inodes, set_vivid_format, vivid, vivid_control)

# vivid's "Test Pattern" menu (v4l2-tpg): solid fields a pixel can tell apart.
PATTERN_RED = 7
PATTERN_GREEN = 8


def probe_plane(samples, interval_ms):
    """The primary plane, sampled from the kernel: one dict per sample."""
    result = subprocess.run([os.environ["FENCECAM_PLANE_PROBE"], str(samples), str(interval_ms)],
                            capture_output=True, text=True, timeout=60 + samples * interval_ms / 1000)
    if result.returncode != 0:
        raise AssertionError("plane probe failed: " + result.stderr)
    return [json.loads(line) for line in result.stdout.splitlines()]


def rgb(hex_pixel):
    value = int(hex_pixel, 16)
    return (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff


def is_red(color):
    return color[0] > 180 and color[1] < 80 and color[2] < 80


def is_green(color):
    return color[1] > 180 and color[0] < 80 and color[2] < 80


def read_stats(path):
    with open(path) as stats:
        return [json.loads(line) for line in stats if line.strip()]


class ObservedScanout(unittest.TestCase):
    def setUp(self):
        os.makedirs(OUT_DIR, exist_ok=True)
        set_vivid_format()

    def test_observed_scanout_is_the_camera_buffer(self):
        width, height = map(int, MODE.split("x"))
        with harness.Compositor("--camera", vivid(), "--fps", "60", "--mode", MODE,
                                backend="drm",
                                log_path=os.path.join(OUT_DIR, "observed-scanout.log")) as comp:
            comp.wait_for_log(": direct scanout", timeout=90)
            camera = camera_dmabuf_inodes(comp.process.pid)
            samples = probe_plane(150, 10)
            self.assertEqual(comp.terminate(), 0, comp.log_text())
            buffers = int(re.search(r", (\d+) buffers, ", comp.log_text()).group(1))
        for sample in samples:
            self.assertTrue(sample["exporter"].startswith("videobuf2"), sample)
            self.assertIn(sample["inode"], camera, "the plane scans out a camera dma-buf")
            self.assertEqual((sample["width"], sample["height"], sample["format"]),
                             (width, height, "XR24"), sample)
        shown = {sample["inode"] for sample in samples}
        framebuffers = {sample["fb"] for sample in samples}
        # The camera's buffers take turns on the plane, each imported once:
        # one framebuffer per buffer, never one per frame.
        self.assertGreaterEqual(len(shown), 2, f"{len(shown)} of {buffers} camera buffers shown")
        self.assertLessEqual(len(shown), buffers)
        self.assertEqual(len(framebuffers), len(shown), samples)

        # The control: with the HUD drawn over the camera, the plane scans out
        # a buffer fencecam rendered, and the probe sees that.
        with harness.Compositor("--hud", "--camera", vivid(), "--fps", "60", "--mode", MODE,
                                backend="drm",
                                log_path=os.path.join(OUT_DIR, "observed-composited.log")) as comp:
            comp.wait_for_log(": composited", timeout=90)
            camera = camera_dmabuf_inodes(comp.process.pid)
            samples = probe_plane(20, 10)
            self.assertEqual(comp.terminate(), 0, comp.log_text())
        for sample in samples:
            self.assertFalse(sample["exporter"].startswith("videobuf2"), sample)
            self.assertNotIn(sample["inode"], camera, sample)

    def check_peer_scanout(self, name, command, seconds=10):
        """A peer camera client that no one here wrote, fullscreen: the plane
        scans out the dma-bufs the peer exported from vivid and handed over, the peer lives
        through `seconds` of streaming, and new frames still reach the plane
        at the end (a compositor that holds the peer's buffers too long
        starves it: weston-simple-dmabuf-v4l aborts, waylandsink stalls)."""
        with harness.Compositor("--no-camera", "--mode", MODE, backend="drm", renderer="gles2",
                                log_path=os.path.join(OUT_DIR, name + ".log")) as comp:
            peer_log = os.path.join(OUT_DIR, name + "-client.log")
            peer = comp.start_client(*command, log_path=peer_log)
            comp.wait_for_log(": direct scanout", timeout=120)
            first = probe_plane(100, 10)
            time.sleep(seconds)
            last = probe_plane(100, 10)
            alive = peer.poll() is None
            # fencecam runs no camera of its own: every videobuf2 dma-buf it
            # holds is one the peer handed over (weston-simple-dmabuf-v4l
            # closes its own copies once they are sent).
            exported = camera_dmabuf_inodes(comp.process.pid) if alive else set()
            self.assertEqual(comp.terminate(), 0, comp.log_text())
            log = comp.log_text()
        with open(peer_log, errors="replace") as f:
            peer_output = f.read()
        self.assertTrue(alive, f"{command[0]} died while streaming:\n{peer_output}\n{log}")
        for sample in first + last:
            self.assertIn(sample["inode"], exported, f"not one of the peer's vivid buffers: {sample}")
        for samples in (first, last):
            shown = {sample["inode"] for sample in samples}
            self.assertGreaterEqual(len(shown), 2, f"frames stopped reaching the plane: {samples}")
        print(f"\n{name}: {len({s['inode'] for s in first + last})} peer buffers on the plane",
              file=sys.stderr)

    def test_observed_scanout_of_a_peer_client_buffer(self):
        """GStreamer's waylandsink (v4l2src io-mode=dmabuf)."""
        self.check_peer_scanout("observed-peer", [
            "gst-launch-1.0", "-q", "v4l2src", f"device={vivid()}", "io-mode=dmabuf", "!",
            "video/x-raw,format=BGRx,width=640,height=480", "!", "waylandsink", "fullscreen=true"])

    def test_observed_scanout_of_weston_simple_dmabuf_v4l(self):
        """weston-simple-dmabuf-v4l: four buffers, and it aborts when a frame
        callback finds all four still held by the compositor."""
        self.check_peer_scanout("observed-simple-dmabuf-v4l", [
            "weston-simple-dmabuf-v4l", "-v", vivid(), "-f", "XR24", "-d", "XR24", "-s"])


class ObservedLatching(unittest.TestCase):
    def setUp(self):
        os.makedirs(OUT_DIR, exist_ok=True)
        set_vivid_format()

    def tearDown(self):
        vivid_control("test_pattern", 0)

    def hold_and_switch(self, name, *args, path=": direct scanout"):
        """Red frames; then the test's fence goes into every camera buffer,
        vivid switches to green, and the plane is sampled while the fence is
        held; then the fence signals. `args` go to fencecam, whose output
        takes `path`. Returns (plane samples during the hold, the moment the
        hold began, the signal time, the stats, the log)."""
        vivid_control("test_pattern", PATTERN_RED)
        stats_path = os.path.join(OUT_DIR, name + ".jsonl")
        # A fence bound longer than the hold, so no frame is given up (and no
        # restart brings new buffers) while the test holds its fence.
        with harness.Compositor("--camera", vivid(), "--fps", "60", "--mode", MODE,
                                "--fence-timeout", "4000", "--stats", stats_path, *args,
                                backend="drm", log_path=os.path.join(OUT_DIR, name + ".log")) as comp:
            comp.wait_for_log(path, timeout=90)
            comp.wait_for_screen(os.path.join(OUT_DIR, name + "-red.ppm"),
                                 lambda image: is_red(image.pixel(320, 240)), timeout=30)
            injector = subprocess.Popen([os.environ["FENCECAM_FENCE_INJECTOR"],
                                         str(comp.process.pid)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                held = injector.stdout.readline()
                self.assertTrue(held.startswith("held "), f"fence injector: {held!r}")
                # Frames whose fences were exported before the test's fence
                # was added still complete, red; then vivid turns green.
                time.sleep(0.5)
                hold_began_ns = time.monotonic_ns()
                vivid_control("test_pattern", PATTERN_GREEN)
                during = probe_plane(60, 10)
                injector.stdin.write("signal\n")
                injector.stdin.flush()
                signalled = injector.stdout.readline()
                self.assertTrue(signalled.startswith("signalled "), f"{signalled!r}")
                signalled_ns = int(signalled.split()[1])
            finally:
                injector.stdin.close()
                injector.wait(timeout=10)
            comp.wait_for_screen(os.path.join(OUT_DIR, name + "-green.ppm"),
                                 lambda image: is_green(image.pixel(320, 240)), timeout=30)
            self.assertEqual(comp.terminate(), 0, comp.log_text())
            log = comp.log_text()
        return during, hold_began_ns, signalled_ns, read_stats(stats_path), log

    def test_observed_latching_waits_for_a_test_held_fence(self):
        during, hold_began_ns, signalled_ns, frames, log = self.hold_and_switch("observed-fence")
        self.assertIn("sync mode fence", log)
        # The kernel's plane: the same red camera buffer all through the hold.
        for sample in during:
            self.assertTrue(is_red(rgb(sample["center"])),
                            f"a frame the test's fence held reached the plane: {sample}")
        self.assertEqual(len({sample["fb"] for sample in during}), 1, during)
        self.check_records_honour_the_hold(frames, hold_began_ns, signalled_ns, ("fence", "learnt"))

    def test_observed_dqbuf_latching_waits_in_userspace_for_a_test_held_fence(self):
        """In dqbuf mode DQBUF proves the camera done, not every writer: a
        buffer whose dma-buf still holds the test's fence must not be latched,
        or the renderer and KMS would get a buffer they wait on without
        bound. With the HUD on, fencecam composites and repaints it ten
        times a second, so the plane shows both that no held frame got
        through and that nothing froze."""
        during, hold_began_ns, signalled_ns, frames, log = self.hold_and_switch(
            "observed-fence-dqbuf", "--sync", "dqbuf", "--hud", path=": composited")
        self.assertIn("sync mode dqbuf", log)
        for sample in during:
            self.assertTrue(is_red(rgb(sample["center"])),
                            f"a frame the test's fence held reached the plane: {sample}")
        # The HUD repaints ten times a second: new framebuffers on the plane
        # all through the hold show that no commit of fencecam's waited in
        # the kernel for the test's fence.
        self.assertGreaterEqual(len({sample["fb"] for sample in during}), 2,
                                f"the screen froze during the hold: {during}")
        self.check_records_honour_the_hold(frames, hold_began_ns, signalled_ns, ("dqbuf",))

    def check_records_honour_the_hold(self, frames, hold_began_ns, signalled_ns, ready_from):
        """fencecam's records agree with the plane: nothing latched while the
        fence was held, and frames the hold caught were ready, by the fences'
        own timestamps, no earlier than the test's signal. Other frames were
        ready by `ready_from`."""
        shown = [f for f in frames if not f["error"]]
        for frame in shown:
            self.assertFalse(hold_began_ns <= frame["latched_ns"] < signalled_ns,
                             f"latched during the hold: {frame}")
            # Outside the hold a frame may also be ready by `ready_from`: in
            # fence mode "learnt", a buffer the camera completed before
            # fencecam exported its fence (a race the kernel documents)
            # exports a signalled stub with no time of its own; in dqbuf mode,
            # DQBUF. A frame the hold caught always waited for the test's
            # pending fence.
            self.assertIn(frame["ready_from"], ready_from + ("fence",), frame)
        caught = [f for f in shown if f["queued_ns"] < signalled_ns < f["latched_ns"]]
        self.assertGreater(len(caught), 0, "no frame waited for the test's fence")
        for frame in caught:
            self.assertEqual(frame["ready_from"], "fence", frame)
            self.assertGreaterEqual(frame["ready_ns"], signalled_ns, frame)
        learnt = sum(f["ready_from"] == "learnt" for f in shown)
        print(f"\n{len(shown)} frames shown, {len(caught)} caught by the hold, "
              f"{learnt} with a learnt ready time", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
