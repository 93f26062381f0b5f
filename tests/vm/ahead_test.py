"""fencecam-camera committing ahead of completion (--ahead, clients/), on
our patched videobuf2 and vivid (FENCECAM_VB2_FENCES=1 tools/vm): each buffer
is committed right after VIDIOC_QBUF, gated by the camera's pending write
fence, and fencecam's waiters hold it until the fence signals.

Observed from outside the client: vivid stamps each frame with the time it
completed (stamp_completion_time=1) and fencecam's --stats records, under
--completion-stamps, when each client commit arrived, was applied (latched)
and reached the screen. Errored frames are checked against the kernel's
own verdict: the client keeps each frame's fence and reads its status when
the compositor reports the frame presented.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402
from camera_client_test import OUT_DIR, MODE, camera_client_binary, vivid  # noqa: E402
from compositor_vm_test import vivid_control  # noqa: E402

SUMMARY = re.compile(
    r"fencecam-camera: (\d+) frames presented \((\d+) zero-copy\), (\d+) discarded; "
    r"fence-to-present latency mean ([\d.]+) ms, p50 ([\d.]+) ms, p99 ([\d.]+) ms; "
    r"committed ahead: (\d+) of (\d+) commits before completion; errored frames: (\d+), "
    r"(\d+) of them presented; (\d+) recommitted after a failed fence; (\d+) restarts after a "
    r"stall")
STAMP = "/sys/module/vivid/parameters/stamp_completion_time"


def wait_until_committing_ahead(test, client_log):
    deadline = time.monotonic() + 60
    while "committing ahead" not in client_log():
        test.assertLess(time.monotonic(), deadline, client_log())
        time.sleep(0.1)


def summary_of(output):
    match = SUMMARY.search(output)
    if not match:
        raise AssertionError("no ahead summary line:\n" + output)
    keys = ["presented", "zero_copy", "discarded", "mean", "p50", "p99", "ahead", "commits",
            "errored", "errored_presented", "recommitted", "stall_restarts"]
    return dict(zip(keys, (float(v) if "." in v else int(v) for v in match.groups())))


class Ahead(unittest.TestCase):
    def setUp(self):
        os.makedirs(OUT_DIR, exist_ok=True)
        if not os.path.exists(STAMP):
            raise AssertionError("vivid has no release fences: use FENCECAM_VB2_FENCES=1 tools/vm")
        subprocess.run(["v4l2-ctl", "-d", vivid(),
                        f"--set-fmt-video=width=640,height=480,pixelformat=XR24",
                        "--set-parm=60"], check=True, timeout=20, stdout=subprocess.DEVNULL)
        with open(STAMP, "w") as stamp:
            stamp.write("1")

    def tearDown(self):
        with open(STAMP, "w") as stamp:
            stamp.write("0")

    def run_client(self, name, sync, during=None, args=("--frames", "180")):
        """fencecam on vkms (gles2) and fencecam-camera; returns the client's
        summary, its output, the stats records of its frames and fencecam's log."""
        stats_path = os.path.join(OUT_DIR, name + ".jsonl")
        with harness.Compositor("--no-camera", "--mode", MODE, "--stats", stats_path,
                                "--completion-stamps", backend="drm", renderer="gles2",
                                log_path=os.path.join(OUT_DIR, name + ".log")) as comp:
            log_path = os.path.join(comp.runtime_dir, "client.log")
            with open(log_path, "w") as log:
                client = subprocess.Popen(
                    [camera_client_binary(), "--camera", vivid(), "--sync", sync, *args],
                    env=comp.client_env(), stdout=log, stderr=subprocess.STDOUT)
            comp.clients.append(client)

            def client_log():
                with open(log_path, errors="replace") as f:
                    return f.read()

            try:
                if during:
                    during(comp, client, client_log)
                status = client.wait(timeout=300)
            finally:
                output = client_log()
                with open(os.path.join(OUT_DIR, name + "-client.log"), "w") as kept:
                    kept.write(output)
            self.assertIsNone(comp.process.poll(), "fencecam kept running:\n" + comp.log_text())
            self.assertEqual(comp.terminate(), 0, comp.log_text())
            log = comp.log_text()
        with open(stats_path) as stats:
            frames = [json.loads(line) for line in stats if line.strip()]
        frames = [f for f in frames if f["source"].startswith("client fencecam-camera")]
        return status, output, frames, log

    def check_ahead(self, sync):
        status, output, frames, log = self.run_client(f"ahead-{sync}", sync,
                                                      args=("--frames", "240"))
        self.assertEqual(status, 0, output)
        self.assertIn("committing ahead of completion, right after QBUF: detected", output)
        # The patched kernel hands the fence out at QBUF: no export per plane.
        self.assertIn("camera fences from VIDIOC_QBUF (V4L2_BUF_FLAG_OUT_FENCE)", output)
        summary = summary_of(output)
        print(f"\nahead {sync}: " + SUMMARY.search(output).group(0), file=sys.stderr)
        self.assertGreaterEqual(summary["presented"], 60, summary)
        self.assertGreaterEqual(summary["ahead"], 0.9 * summary["commits"], summary)
        self.assertEqual(summary["errored_presented"], 0, summary)
        self.assertNotIn("disconnected", log)

        # fencecam's records: the client's frames, with the sync mode it used.
        stamped = [f for f in frames if f["stamp_ns"] is not None]
        self.assertGreater(len(stamped), 60)
        self.assertTrue(all(f["mode"] == sync for f in frames), {f["mode"] for f in frames})
        # Committed before the camera completed them (after the first 60: a
        # VM just booted is slow to settle) ...
        settled = sorted(stamped, key=lambda f: f["sequence"])[60:]
        before = [f for f in settled if f["queued_ns"] < f["stamp_ns"]]
        share = len(before) / len(settled)
        print(f"ahead {sync}: {share:.0%} of {len(settled)} stamped frames committed before "
              "their completion stamp", file=sys.stderr)
        self.assertGreaterEqual(share, 0.8)
        # ... yet never applied before they were complete, and shown.
        for frame in stamped:
            self.assertGreaterEqual(frame["latched_ns"], frame["stamp_ns"], frame)
        shown = [f for f in stamped if f["present_ns"] is not None]
        self.assertGreater(len(shown), 60)
        self.assertIn(": direct scanout", log)

    def test_ahead_explicit(self):
        self.check_ahead("explicit")

    def test_ahead_implicit(self):
        self.check_ahead("implicit")

    def test_ahead_errored_frames_never_presented(self):
        """vivid's error injection fails a buffer (V4L2_BUF_FLAG_ERROR; its
        release fence signals -EIO) while it is committed ahead: fencecam
        withholds that commit and applies it together with the next good one,
        so no output ever samples it; the client is not disconnected.

        Explicit sync only: the acquire point keeps the fence, error and all.
        A dma-buf drops a fence once signalled, so with implicit sync a commit
        the compositor reads after the camera failed the frame looks complete
        (docs/ahead-commits.md): that case is measured, not asserted."""
        def inject_errors(comp, client, client_log):
            wait_until_committing_ahead(self, client_log)
            time.sleep(0.5)
            for _ in range(10):
                vivid_control("inject_v4l2_buf_flag_error", 1)
                time.sleep(0.2)

        for sync in ("explicit", "implicit"):
            status, output, frames, log = self.run_client(
                f"ahead-errored-{sync}", sync, during=inject_errors, args=("--seconds", "5"))
            self.assertEqual(status, 0, output)
            summary = summary_of(output)
            print(f"\nahead errored {sync}: " + SUMMARY.search(output).group(0), file=sys.stderr)
            self.assertGreaterEqual(summary["errored"], 3, summary)
            if sync == "explicit":
                self.assertEqual(summary["errored_presented"], 0, summary)
            self.assertGreater(summary["presented"], 60, summary)
            self.assertNotIn("disconnected", log)

    def test_ahead_stall_and_unplug(self):
        """A camera that drops every buffer for 7 s, past fencecam's client
        bound (--client-fence-timeout, 5 s): the pending fences stay pending
        (the kernel never signals one while the device may write), so the
        client bounds the stall itself: it restarts the camera, its pending
        fences fail, fencecam drops those commits without disconnecting it,
        and frames resume once the camera does. Then vivid's "Disconnect": the
        client says so in one line and exits; fencecam keeps running."""
        def stall_then_unplug(comp, client, client_log):
            wait_until_committing_ahead(self, client_log)
            time.sleep(1)
            vivid_control("percentage_of_dropped_buffers", 100)
            try:
                time.sleep(7)
                self.assertIsNone(client.poll(), client_log())
                self.assertIn("delivered no frame", client_log())
            finally:
                vivid_control("percentage_of_dropped_buffers", 0)
            resumed_at = time.monotonic_ns()
            time.sleep(3)
            self.assertIsNone(client.poll(), client_log())
            with open(comp.stats_path) as stats:
                # Whole records only: the last may be half written.
                shown_after = [json.loads(line) for line in stats
                               if line.startswith("{") and line.endswith("}\n")]
            shown_after = [f for f in shown_after
                           if f["present_ns"] is not None and f["present_ns"] > resumed_at]
            # Any steady stream: at a host load of 19 the VM showed 9 a second.
            self.assertGreater(len(shown_after), 10,
                               "frames resume after the stall:\n" + client_log() + comp.log_text())
            subprocess.run(["v4l2-ctl", "-d", vivid(), "-c", "disconnect=1"], timeout=20)

        status, output, _, log = self.run_client("ahead-stall", "explicit",
                                                 during=stall_then_unplug, args=())
        self.assertEqual(status, 1, output + log)
        errors = [line for line in output.splitlines() if "unplugged" in line]
        self.assertEqual(len(errors), 1, output + log)
        summary = summary_of(output)
        self.assertEqual(summary["errored_presented"], 0, summary)
        # A restart for the stall, and no more while the camera stayed
        # stalled after it (nothing was committed ahead then: with a restart
        # a bound, a 7 s stall would make six). One spare for a TCG hiccup
        # of a second outside the stall.
        self.assertIn(summary["stall_restarts"], (1, 2), output + log)
        self.assertNotIn("disconnected", log)


if __name__ == "__main__":
    unittest.main()
