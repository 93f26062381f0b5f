"""fencecam's `fence` sync mode on our patched kernel modules (kernel/):
vivid loaded with release_fences=1, so every queued camera buffer carries a
vb2 release fence. Runs inside `FENCECAM_VB2_FENCES=1 tools/vm`.

The latcher's rules, checked end to end:
  1. every latched frame was latched at or after its fence's signal time;
  2. an errored frame (vivid's error injection: a fence signalled -EIO) is
     never shown;
  3. with the camera dropping every buffer, fences never signal: the screen
     stays alive (a cursor move repaints) and the stall is counted; past the
     watchdog's bound the stream restarts.
"""

import json
import os
import re
import subprocess
import sys
import time
import unittest
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402
from compositor_vm_test import (  # noqa: E402
    MODE, OUT_DIR, hud_text_pixels, set_vivid_format, vivid, vivid_control,
    wait_for_outage_and_return)


# vkms' refresh period at 640x480@59.94.
REFRESH_NS = 16_683_350


def read_stats(path):
    with open(path) as stats:
        return [json.loads(line) for line in stats if line.strip()]


class FenceMode(unittest.TestCase):
    def setUp(self):
        os.makedirs(OUT_DIR, exist_ok=True)
        with open("/sys/module/vivid/parameters/release_fences") as param:
            if "1" not in param.read():
                raise AssertionError("vivid runs without release fences: use FENCECAM_VB2_FENCES=1 tools/vm")
        set_vivid_format()

    def run_camera(self, name, seconds, during=None, extra=(), sync="fence"):
        stats_path = os.path.join(OUT_DIR, name + ".jsonl")
        args = ("--sync", sync) if sync != "fence" else ()
        with harness.Compositor("--camera", vivid(), "--fps", "60", "--mode", MODE,
                                "--stats", stats_path, *args, *extra, backend="drm",
                                log_path=os.path.join(OUT_DIR, name + ".log")) as comp:
            if sync == "fence":
                comp.wait_for_log("sync mode fence: detected: the kernel attaches release "
                                  "fences", timeout=60)
                # Detected from the queue's answer at VIDIOC_REQBUFS, not guessed.
                self.assertIn("offers V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES; opted in with "
                              "V4L2_MEMORY_FLAG_RELEASE_FENCES", comp.log_text())
                # Every writer's fence, not only the one QBUF could hand out.
                self.assertIn("fences exported from the dma-bufs", comp.log_text())
            else:
                comp.wait_for_log(f"sync mode {sync}: forced by --sync {sync}", timeout=60)
            comp.wait_for_log("camera on ", timeout=60)
            if during:
                during(comp)
            time.sleep(seconds)
            self.assertEqual(comp.terminate(), 0, comp.log_text())
            log = comp.log_text()
        return harness.camera_summary(log), read_stats(stats_path), log

    def test_latched_only_after_fence_signalled(self):
        summary, frames, _ = self.run_camera("fence-latch", 3)
        self.assertGreater(summary["latched"], 20, summary)
        self.assertEqual(len(frames), summary["latched"])
        for frame in frames:
            self.assertEqual(frame["mode"], "fence")
            # ready_ns is the kernel's fence signal timestamp.
            self.assertGreaterEqual(frame["latched_ns"], frame["ready_ns"], frame)
            self.assertGreaterEqual(frame["ready_ns"], frame["queued_ns"], frame)
            if frame["present_ns"] is not None:
                # present_ns is vkms' vblank timestamp: the time its vblank
                # timer was due, and under TCG that timer fires late, so a
                # flip committed just after the due time still reports it.
                self.assertGreaterEqual(frame["present_ns"] + REFRESH_NS, frame["latched_ns"],
                                        frame)
        presented = [f for f in frames if f["present_ns"] is not None]
        self.assertGreater(len(presented), 10)
        self.assertTrue(all(f["zero_copy"] for f in presented), "direct scanout on vkms")

    def test_completion_stamps_agree_with_fences(self):
        """tools/bench's clock: vivid's completion stamp (stamp_completion_time=1,
        read under --completion-stamps) comes before the frame's release fence
        signals, for the built-in camera; a client's frames (waylandsink here)
        carry the same stamps."""
        with open("/sys/module/vivid/parameters/stamp_completion_time", "w") as param:
            param.write("1")
        try:
            _, frames, _ = self.run_camera("stamps", 3, extra=("--completion-stamps",))
            self.assertGreater(len(frames), 20)
            for frame in frames:
                # The stamp is written just before vb2_buffer_done() signals.
                self.assertLessEqual(frame["stamp_ns"], frame["ready_ns"], frame)
                # A buffer completed before fencecam exported its fence (the
                # first ones, right after STREAMON, under load) has no
                # signal time: "learnt" is when fencecam found it signalled.
                if frame["ready_from"] == "fence":
                    self.assertLess(frame["ready_ns"] - frame["stamp_ns"], 50_000_000, frame)
            timed = [f for f in frames if f["ready_from"] == "fence"]
            self.assertGreater(len(timed), len(frames) // 2, "most frames carry their fence's time")

            stats_path = os.path.join(OUT_DIR, "stamps-client.jsonl")
            with harness.Compositor("--no-camera", "--mode", MODE, "--stats", stats_path,
                                    "--completion-stamps", backend="drm", renderer="gles2",
                                    log_path=os.path.join(OUT_DIR, "stamps-client.log")) as comp:
                comp.start_client(
                    "gst-launch-1.0", "-q", "v4l2src", f"device={vivid()}", "io-mode=dmabuf",
                    "!", "video/x-raw,format=BGRx,width=640,height=480", "!", "waylandsink",
                    "fullscreen=true", log_path=os.path.join(OUT_DIR, "stamps-client-gst.log"))
                comp.wait_for_log(": direct scanout", timeout=120)
                time.sleep(2)
                self.assertEqual(comp.terminate(), 0, comp.log_text())
            stamped = [f for f in read_stats(stats_path) if f["stamp_ns"] is not None]
            self.assertGreater(len(stamped), 10)
            for frame in stamped:
                self.assertTrue(frame["source"].startswith("client gst-launch"), frame)
                self.assertEqual(frame["mode"], "implicit")
                # Complete before the client could have committed it.
                self.assertLessEqual(frame["stamp_ns"], frame["queued_ns"], frame)
        finally:
            with open("/sys/module/vivid/parameters/stamp_completion_time", "w") as param:
                param.write("0")

    INJECTED_ERRORS = 5

    def check_errored_frames_never_shown(self, name, mode):
        """vivid fails exactly the next frame it fills after each injection;
        the test counts its own injections against the failed V4L2 sequences
        in the records, and no failed sequence may be among the presented."""
        def inject_errors(comp):
            for _ in range(self.INJECTED_ERRORS):
                vivid_control("inject_v4l2_buf_flag_error", 1)
                time.sleep(0.3)

        summary, records, _ = self.run_camera(name, 1, during=inject_errors, sync=mode)
        failed = [r for r in records if r["error"]]
        frames = [r for r in records if not r["error"]]
        self.assertTrue(all(r["mode"] == mode for r in records), records[:3])
        # vivid numbers a frame by the time its thread woke, rounded to a
        # frame period: under TCG it can wake twice within one period and
        # give two frames the same number (one in twenty, on a slow day).
        # Such numbers say nothing of which frame was shown: the checks by
        # number leave them out, and each failed frame's own record must say
        # it never reached the screen.
        numbers = Counter(r["v4l2_sequence"] for r in records if r["v4l2_sequence"] is not None)
        reused = {number for number, count in numbers.items() if count > 1}
        self.assertEqual([r for r in failed if r["present_ns"] is not None], [],
                         "a failed frame was presented")
        failed_sequences = {r["v4l2_sequence"] for r in failed}
        self.assertEqual(len(failed_sequences), len(failed), failed)
        self.assertEqual(len(failed), summary["errors"], summary)
        self.assertEqual(len(frames), summary["latched"], summary)

        presented = [r for r in frames if r["present_ns"] is not None]
        self.assertGreater(len(presented), 30, summary)
        presented_sequences = [r["v4l2_sequence"] for r in presented]
        self.assertNotIn(None, presented_sequences, "every shown frame knows its V4L2 sequence")
        self.assertEqual(presented_sequences, sorted(presented_sequences),
                         "shown in the driver's order")
        once = [number for number in presented_sequences if number not in reused]
        self.assertEqual(len(once), len(set(once)), "each frame shown once")
        self.assertEqual((failed_sequences - reused) & set(presented_sequences), set(),
                         "a failed frame reached the screen")

        # vivid forgets an injection at a tick that had no buffer to fill (a
        # dropped frame: a gap in the driver's numbering), so each such gap may
        # have swallowed one; otherwise every injection is one failed frame.
        seen = sorted(failed_sequences | {r["v4l2_sequence"] for r in frames
                                          if r["v4l2_sequence"] is not None})
        gaps = sum(b - a - 1 for a, b in zip(seen, seen[1:]))
        self.assertLessEqual(len(failed), self.INJECTED_ERRORS, failed)
        self.assertGreaterEqual(len(failed), self.INJECTED_ERRORS - gaps,
                                f"{len(failed)} failed frames for {self.INJECTED_ERRORS} "
                                f"injections and {gaps} dropped")
        print(f"{name}: {len(failed)} failed frames for {self.INJECTED_ERRORS} injections, "
              f"{gaps} sequence gaps, {len(reused)} numbers the driver gave twice, "
              f"{len(presented)} presented")

    def test_errored_frames_never_shown(self):
        self.check_errored_frames_never_shown("fence-errors", "fence")

    def test_errored_frames_never_shown_dqbuf(self):
        self.check_errored_frames_never_shown("dqbuf-errors", "dqbuf")

    def test_stalled_camera_keeps_screen_alive_then_restarts(self):
        """The camera drops every buffer, so fences never signal. Each frame is
        given up at the fence bound (2 s here) while the last frame stays on
        screen and the screen stays alive (a cursor move repaints). Once the
        camera has returned nothing for the watchdog's bound (three fence bounds), "no signal"
        shows and the stream restarts; frames come back with the camera."""
        def stall(comp):
            pointer = harness.UinputPointer()
            try:
                comp.wait_for_log("input device: " + harness.UinputPointer.NAME, timeout=30)
                vivid_control("percentage_of_dropped_buffers", 100)
                time.sleep(0.5)
                shots = []
                for step in range(2):
                    pointer.move(120, 90)
                    time.sleep(0.2)
                    shots.append(comp.screenshot(
                        os.path.join(OUT_DIR, f"fence-stall-{step}.ppm"), cursor=True))
                self.assertNotEqual(shots[0].rgb, shots[1].rgb, "the cursor moved on screen")
                self.assertFalse(harness.near(shots[1].pixel(600, 20), harness.NO_SIGNAL),
                                 "the last camera frame stays on screen")
            finally:
                pointer.close()
            wait_for_outage_and_return(
                comp, os.path.join(OUT_DIR, "fence-stall"), (600, 20),
                lambda: vivid_control("percentage_of_dropped_buffers", 0))

        try:
            summary, _, log = self.run_camera("fence-stall", 1, during=stall,
                                              extra=("--fence-timeout", "2000"))
        finally:
            vivid_control("percentage_of_dropped_buffers", 0)
        # Given up by fencecam at its bound (the kernel has no timeout of its
        # own: the fences stay pending until the restart's STREAMOFF).
        self.assertGreaterEqual(summary["stalls"] + summary["errors"], 1, summary)
        self.assertGreaterEqual(summary["restarts"], 1, summary)
        self.assertEqual(log.count("camera stalled"), 1, "said once per outage:\n" + log)
        self.assertNotIn("camera lost", log)

    def test_defaults_slow_camera_keeps_coming(self):
        """A new user's run with a slow camera: no --camera, --mode or
        --fence-timeout, and the camera at 5 fps (--fps 5: fencecam would
        otherwise pick the highest rate vivid offers, where a webcam in low
        light has no faster one). The fence bound follows the camera's real
        rate, so no frame is given up for being slow and the picture keeps
        moving."""
        stats_path = os.path.join(OUT_DIR, "defaults-slow.jsonl")
        with harness.Compositor("--fps", "5", "--stats", stats_path, backend="drm",
                                log_path=os.path.join(OUT_DIR, "defaults-slow.log")) as comp:
            comp.wait_for_log("sync mode fence: detected", timeout=60)
            time.sleep(6)
            image = comp.screenshot(os.path.join(OUT_DIR, "defaults-slow.ppm"))
            self.assertFalse(harness.near(image.pixel(image.width // 2, image.height // 2),
                                          harness.NO_SIGNAL), "the camera is on screen")
            self.assertEqual(comp.terminate(), 0, comp.log_text())
            log = comp.log_text()
        self.assertIn(f"camera {vivid()} ", log, "the first capture device is vivid's")
        match = re.search(r" at ([\d.]+) fps, \d+ buffers, fence bound (\d+) ms", log)
        self.assertIsNotNone(match, log)
        fps, bound = float(match.group(1)), int(match.group(2))
        self.assertLessEqual(fps, 5.0, log)
        self.assertEqual(bound, max(250, int(4000 / fps)), log)
        summary = harness.camera_summary(log)
        self.assertEqual(summary["stalls"], 0, summary)
        self.assertEqual(summary["restarts"], 0, summary)
        self.assertGreaterEqual(summary["latched"], int(6 * fps * 0.6), summary)
        frames = read_stats(stats_path)
        self.assertGreater(len([f for f in frames if f["present_ns"] is not None]), 10)


class Demo(unittest.TestCase):
    def test_demo_briefly(self):
        """tools/demo's guest part for a few seconds: its stats file holds
        frames with ready <= latch <= present, and the HUD is on screen."""
        out = os.path.join(OUT_DIR, "demo")
        os.makedirs(out, exist_ok=True)
        env = dict(os.environ, FENCECAM_DEMO_SECONDS="5", FENCECAM_DEMO_OUT=out)
        demo = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "demo")
        result = subprocess.run([demo, "__guest"], env=env, capture_output=True, text=True,
                                timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("fencecam: stats:", result.stdout)
        # It counts down instead of sleeping silently.
        self.assertIn("demo: fencecam is showing the camera; screenshot in 5 s", result.stdout)
        frames = read_stats(os.path.join(out, "stats.jsonl"))
        presented = [f for f in frames if f["present_ns"] is not None]
        self.assertGreater(len(presented), 20)
        for frame in presented:
            self.assertEqual(frame["mode"], "fence")
            self.assertLessEqual(frame["ready_ns"], frame["latched_ns"], frame)
            self.assertLessEqual(frame["latched_ns"], frame["present_ns"] + REFRESH_NS, frame)
        from PIL import Image
        screenshot = Image.open(os.path.join(out, "screenshot.png")).convert("RGB")
        image = harness.Image(screenshot.width, screenshot.height, screenshot.tobytes())
        self.assertGreater(hud_text_pixels(image), 1000, "the HUD's text is on screen")


if __name__ == "__main__":
    unittest.main()
