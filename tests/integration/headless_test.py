"""fencecam on the headless backend with real clients (weston-simple-shm, grim)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

OUT_DIR = os.environ.get("FENCECAM_TEST_OUT", os.path.join(harness.build_dir(), "test-out"))


def shows_client(image):
    """weston-simple-shm's animated rings: many colours, none of them ours."""
    w, h = image.width, image.height
    colors = image.region_colors(w // 2 - 100, h // 2 - 100, w // 2 + 100, h // 2 + 100)
    return len(colors) > 50 and not any(harness.near(c, harness.BACKGROUND) for c in colors)


WHITE = (255, 255, 255)
MISSING_CAMERA = "/dev/fencecam-test-no-such-camera"


def sleeping_command(pid_file):
    """A COMMAND that writes its pid to `pid_file` and sleeps."""
    return ["sh", "-c",
            f"echo $$ > {pid_file}.part && mv {pid_file}.part {pid_file} && exec sleep 600"]


def read_pid(pid_file):
    """The pid sleeping_command wrote, once it has; the file is removed."""
    deadline = time.monotonic() + 20
    while not os.path.exists(pid_file) and time.monotonic() < deadline:
        time.sleep(0.1)
    with open(pid_file) as f:
        pid = int(f.read())
    os.remove(pid_file)
    return pid


SCHED_RESET_ON_FORK = 0x40000000


def scheduling(pid):
    """(policy, whether SCHED_RESET_ON_FORK is set) of the thread `pid`."""
    policy = os.sched_getscheduler(pid)
    return policy & ~SCHED_RESET_ON_FORK, bool(policy & SCHED_RESET_ON_FORK)


def thp_enabled(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("THP_enabled:"):
                return int(line.split()[1])
    raise AssertionError(f"no THP_enabled in /proc/{pid}/status")


def fills(image, x0, y0, x1, y1):
    """weston-simple-shm exactly in [x0, x1) x [y0, y1): its white frame in
    the box's four corners, its rings (many colours) in the middle."""
    corners = [(x0, y0), (x1 - 1, y0), (x0, y1 - 1), (x1 - 1, y1 - 1)]
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    middle = image.region_colors(cx - 60, cy - 60, cx + 60, cy + 60)
    return (all(image.pixel(x, y) == WHITE for x, y in corners) and len(middle) > 20
            and not any(harness.near(c, harness.BACKGROUND) for c in middle))


def shows_hud(image):
    """The HUD (hud_layout.hpp) at 8,8, 352x160: a panel darker than the
    background it is blended over, white text on it, and more colours
    than a plain panel (the graph's backdrop and refresh line, its labels)."""
    panel = image.pixel(9, 9)
    hud = image.region_colors(8, 8, 360, 168)
    return (all(p < b for p, b in zip(panel, harness.BACKGROUND))
            and any(min(c) > 200 for c in hud) and len(hud) >= 4)


class Headless(unittest.TestCase):
    def setUp(self):
        os.makedirs(OUT_DIR, exist_ok=True)

    def test_simple_shm_pixels(self):
        """weston-simple-shm, the first (kiosk) view, fills the output with its pixels."""
        # A camera path that exists on no machine, so that a host with a
        # webcam runs this test as one without.
        with harness.Compositor("--mode", "640x480", "--camera", MISSING_CAMERA,
                                log_path=os.path.join(OUT_DIR, "simple-shm.log")) as comp:
            # No camera: the built-in camera's "no signal" field.
            empty = comp.screenshot(os.path.join(OUT_DIR, "simple-shm-0.ppm"))
            self.assertEqual((empty.width, empty.height), (640, 480))
            self.assertEqual(empty.region_colors(0, 0, 640, 480), {empty.pixel(0, 0)})
            self.assertTrue(harness.near(empty.pixel(0, 0), harness.NO_SIGNAL), empty.pixel(0, 0))
            self.assertIn("cannot open camera " + MISSING_CAMERA, comp.log_text())

            comp.start_client("weston-simple-shm")
            first = comp.wait_for_screen(os.path.join(OUT_DIR, "simple-shm-1.ppm"),
                                         shows_client, timeout=30)
            # Fullscreen at the output's size: simple-shm's white frame sits
            # in every corner, where a smaller window would leave background.
            for x, y in [(0, 0), (639, 0), (0, 479), (639, 479)]:
                self.assertEqual(first.pixel(x, y), (255, 255, 255), f"pixel {x},{y}")
            # The client animates: a later screenshot differs.
            later = comp.wait_for_screen(os.path.join(OUT_DIR, "simple-shm-2.ppm"),
                                         lambda image: image.rgb != first.rgb, timeout=15)
            self.assertTrue(shows_client(later))
            self.assertEqual(comp.terminate(), 0, comp.log_text())
            self.assertIn("fencecam: exiting", comp.log_text())

    def test_two_clients_tile_side_by_side(self):
        """One window fills the output; a second one makes them share it side
        by side, each exactly in its half (the white frames meet at the
        middle, so neither covers the other); when it goes, the first one
        fills the output again."""
        with harness.Compositor("--no-camera", "--mode", "640x480",
                                log_path=os.path.join(OUT_DIR, "tiling.log")) as comp:
            first = comp.start_client("weston-simple-shm")
            comp.wait_for_screen(os.path.join(OUT_DIR, "tiling-1.ppm"),
                                 lambda image: fills(image, 0, 0, 640, 480), timeout=30)
            second = comp.start_client("weston-simple-shm")
            comp.wait_for_screen(
                os.path.join(OUT_DIR, "tiling-2.ppm"),
                lambda image: fills(image, 0, 0, 320, 480) and fills(image, 320, 0, 640, 480),
                timeout=30)
            second.kill()
            second.wait()
            comp.wait_for_screen(os.path.join(OUT_DIR, "tiling-3.ppm"),
                                 lambda image: fills(image, 0, 0, 640, 480), timeout=30)
            self.assertIsNone(first.poll(), "the first client is still running")
            self.assertEqual(comp.terminate(), 0, comp.log_text())

    def test_client_frames_are_recorded(self):
        """A client's frames get the same per-frame records as the camera's."""
        stats_path = os.path.join(OUT_DIR, "client-stats.jsonl")
        with harness.Compositor("--no-camera", "--mode", "320x240", "--stats", stats_path,
                                log_path=os.path.join(OUT_DIR, "client-stats.log")) as comp:
            comp.start_client("weston-simple-shm")
            comp.wait_for_screen(os.path.join(OUT_DIR, "client-stats.ppm"), shows_client,
                                 timeout=30)
            time.sleep(1)
            self.assertEqual(comp.terminate(), 0, comp.log_text())
            self.assertRegex(comp.log_text(), r"fencecam: stats: \d+ frames latched")
        with open(stats_path) as stats:
            frames = [json.loads(line) for line in stats]
        shown = [f for f in frames if f["present_ns"] is not None]
        self.assertGreater(len(shown), 5, frames[:3])
        for frame in shown:
            self.assertTrue(frame["source"].startswith("client weston-simple"), frame)
            self.assertEqual(frame["mode"], "shm")
            self.assertIsNone(frame["stamp_ns"])
            self.assertLessEqual(frame["queued_ns"], frame["latched_ns"])
            self.assertLess(frame["latched_ns"], frame["present_ns"])
        sequences = [f["sequence"] for f in frames]
        self.assertEqual(sequences, sorted(sequences))

    def test_hostile_client_name_is_escaped_json(self):
        """A client's name in --stats is its executable's, which anyone can
        choose: quotes, a backslash, a newline, a byte that is not UTF-8.
        Every line still parses as one JSON record, with the name intact
        (the stray byte as U+FFFD)."""
        stats_path = os.path.join(OUT_DIR, "hostile-stats.jsonl")
        link_dir = tempfile.mkdtemp(prefix="fencecam-hostile-")
        hostile = os.path.join(link_dir.encode(), b'e"v\\il\n\xff')
        os.symlink(shutil.which("weston-simple-shm"), hostile)
        try:
            with harness.Compositor("--no-camera", "--mode", "320x240", "--stats",
                                    stats_path) as comp:
                comp.start_client(hostile)
                comp.wait_for_screen(os.path.join(OUT_DIR, "hostile.ppm"), shows_client,
                                     timeout=30)
                time.sleep(1)
                self.assertEqual(comp.terminate(), 0, comp.log_text())
        finally:
            shutil.rmtree(link_dir)
        with open(stats_path, "rb") as stats:
            lines = stats.read().decode("utf-8").splitlines()
        frames = [json.loads(line) for line in lines]
        self.assertGreater(len(frames), 5)
        for frame in frames:
            self.assertRegex(frame["source"], '^client e"v\\\\il\n\ufffd \\(pid \\d+\\)$')

    def test_long_run_summary_is_bounded(self):
        """SIGUSR1 prints the summary of a running session. Past 4096 frames
        its percentiles come from a uniform sample of 4096: the memory behind
        it stops growing, however long the session runs."""
        # A tiny output refreshed at 1 kHz: thousands of client commits a
        # second, each one a record.
        with harness.Compositor("--no-camera", "--mode", "64x64@1000") as comp:
            comp.start_client("weston-simple-shm")
            deadline = time.monotonic() + 90
            latched = 0
            while latched <= 5000:
                self.assertLess(time.monotonic(), deadline, comp.log_text()[-2000:])
                time.sleep(1)
                printed = comp.count_in_log("fencecam: stats: ")
                comp.process.send_signal(signal.SIGUSR1)
                comp.wait_for_count("fencecam: stats: ", printed + 1, timeout=10)
                last = comp.log_text().rsplit("fencecam: stats: ", 1)[1].splitlines()[0]
                latched = int(last.split()[0])
            self.assertIn("; percentiles from a uniform sample of 4096 frames", last)
            self.assertRegex(last, r"ready->present mean \d+\.\d+ p50 \d+\.\d+ p99 \d+\.\d+ ms")
            self.assertIsNone(comp.process.poll())
            self.assertEqual(comp.terminate(), 0, comp.log_text())

    def test_sighup_reopens_the_stats_file(self):
        """Log rotation: the file is moved away, SIGHUP, and records go to a
        new file at the same path; the moved one keeps what it had."""
        stats_path = os.path.join(OUT_DIR, f"rotated-{os.getpid()}.jsonl")
        with harness.Compositor("--no-camera", "--mode", "64x64", "--stats", stats_path) as comp:
            comp.start_client("weston-simple-shm")
            deadline = time.monotonic() + 30
            while not (os.path.exists(stats_path) and os.path.getsize(stats_path) > 0):
                self.assertLess(time.monotonic(), deadline, comp.log_text())
                time.sleep(0.1)
            os.rename(stats_path, stats_path + ".1")
            comp.process.send_signal(signal.SIGHUP)
            comp.wait_for_log("fencecam: SIGHUP: reopened " + stats_path, timeout=10)
            deadline = time.monotonic() + 30
            while not (os.path.exists(stats_path) and os.path.getsize(stats_path) > 0):
                self.assertLess(time.monotonic(), deadline, comp.log_text())
                time.sleep(0.1)
            self.assertEqual(comp.terminate(), 0, comp.log_text())
        sequences = []
        for path in [stats_path + ".1", stats_path]:
            with open(path) as f:
                frames = [json.loads(line) for line in f]
            self.assertTrue(frames, path)
            sequences.append([frame["sequence"] for frame in frames])
            os.remove(path)
        # The new file carries on where the old one stopped.
        self.assertLess(sequences[0][-1], sequences[1][0])

    def test_no_camera_shows_background(self):
        with harness.Compositor("--no-camera", "--mode", "320x240") as comp:
            image = comp.screenshot(os.path.join(OUT_DIR, "no-camera.ppm"))
            self.assertEqual(image.region_colors(0, 0, 320, 240), {image.pixel(0, 0)})
            self.assertTrue(harness.near(image.pixel(0, 0), harness.BACKGROUND), image.pixel(0, 0))
            self.assertNotIn("camera", comp.log_text().replace("--no-camera", ""))

    def test_hud_over_background(self):
        """--hud: the HUD's translucent panel, white text and graph sit at the
        top left over the background; the rest of the output is untouched."""
        with harness.Compositor("--hud", "--no-camera", "--mode", "640x480",
                                log_path=os.path.join(OUT_DIR, "hud.log")) as comp:
            image = comp.wait_for_screen(os.path.join(OUT_DIR, "hud.ppm"), shows_hud, timeout=30)
            self.assertTrue(harness.near(image.pixel(400, 300), harness.BACKGROUND))
            # Just past the panel's bottom right corner.
            self.assertTrue(harness.near(image.pixel(365, 173), harness.BACKGROUND))
            self.assertIn("HUD: drawn with pixman", comp.log_text())
            self.assertEqual(comp.terminate(), 0, comp.log_text())

    def test_missing_camera_is_one_clear_line(self):
        with harness.Compositor("--camera", MISSING_CAMERA) as comp:
            comp.wait_for_log("cannot open camera " + MISSING_CAMERA, timeout=10)
            # fencecam retries every second: let it retry twice.
            time.sleep(2.5)
            self.assertIsNone(comp.process.poll(), "still running after the retries")
            self.assertEqual(comp.terminate(), 0, comp.log_text())
            lines = [line for line in comp.log_text().splitlines() if MISSING_CAMERA in line]
            self.assertEqual(len(lines), 1, "said once, not at every retry:\n" + comp.log_text())

    def test_nested_in_a_wayland_session(self):
        """fencecam nested in a Wayland session (here: another fencecam) opens
        a window there, its client's pixels reach the outer screen, and the
        client follows the window when the session resizes it."""
        with harness.Compositor("--no-camera", "--mode", "640x480",
                                log_path=os.path.join(OUT_DIR, "outer.log")) as outer:
            inner_env = {"WLR_BACKENDS": "wayland", "WAYLAND_DISPLAY": outer.socket,
                         "XDG_RUNTIME_DIR": outer.runtime_dir}
            # The inner fencecam's log carries its client's stderr too: a
            # failure shows what both said.
            inner_log_path = os.path.join(OUT_DIR, "nested-inner.log")
            with open(inner_log_path, "w") as inner_log:
                inner = subprocess.Popen(
                    [harness.fencecam_binary(), "--no-camera", "--socket", "fencecam-inner",
                     "-V", "--", "weston-simple-shm"],
                    env=dict(outer.env, **inner_env), stdout=inner_log, stderr=subprocess.STDOUT)
            outer.clients.append(inner)

            def logs():
                with open(inner_log_path, errors="replace") as f:
                    return "\ninner fencecam and its client:\n" + f.read()

            try:
                outer.wait_for_log("view mapped", timeout=30)
                outer.wait_for_screen(os.path.join(OUT_DIR, "nested.ppm"), shows_client,
                                      timeout=30)
                # A second window in the outer session halves the inner
                # window: the inner output is resized, and its client follows
                # (its white frame in each corner of the left half).
                outer.start_client("weston-simple-shm")
                outer.wait_for_screen(
                    os.path.join(OUT_DIR, "nested-resized.ppm"),
                    lambda image: fills(image, 0, 0, 320, 480) and fills(image, 320, 0, 640, 480),
                    timeout=30)
                deadline = time.monotonic() + 30
                while "view simple-shm: 320x480 fullscreen" not in logs():
                    if time.monotonic() > deadline:
                        raise AssertionError("the inner client was not resized with its output")
                    time.sleep(0.1)
            except AssertionError as error:
                raise AssertionError(str(error) + logs()) from None
            inner.send_signal(subprocess.signal.SIGTERM)
            self.assertEqual(inner.wait(timeout=20), 0, logs())

    def test_client_started_with_command_has_no_blocked_signals(self):
        """fencecam blocks the signals its event loop reads; a client started
        with `-- COMMAND` must not inherit that mask, or SIGTERM could not stop it."""
        out = os.path.join(OUT_DIR, "client-sigmask.txt")
        if os.path.exists(out):
            os.remove(out)
        with harness.Compositor("--no-camera", "--keep-running", "--", "sh", "-c",
                                f"grep SigBlk /proc/self/status > {out}.part && "
                                f"mv {out}.part {out}") as comp:
            deadline = time.monotonic() + 20
            while not os.path.exists(out) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(comp.terminate(), 0, comp.log_text())
        with open(out) as status:
            blocked = int(status.read().split()[1], 16)
        self.assertEqual(blocked, 0, f"the client starts with signals blocked: {blocked:#x}")

    def test_compositor_thread_is_realtime_and_command_is_not(self):
        """fencecam's thread runs SCHED_RR and its process outside transparent
        huge pages, so that CPU load and khugepaged do not delay frames; the
        client it starts keeps a normal priority and huge pages.
        --no-realtime leaves fencecam as it was started."""
        pid_file = os.path.join(OUT_DIR, f"realtime-command-{os.getpid()}.pid")
        with harness.Compositor("--no-camera", "--", *sleeping_command(pid_file)) as comp:
            command = read_pid(pid_file)
            # The opt-outs come after COMMAND started, before the event loop.
            comp.wait_for_log("Compositor thread at SCHED_RR", timeout=30)
            self.assertEqual(scheduling(comp.process.pid), (os.SCHED_RR, True))
            self.assertEqual(thp_enabled(comp.process.pid), 0)
            self.assertEqual(scheduling(command), (os.SCHED_OTHER, False))
            self.assertEqual(thp_enabled(command), 1)
            self.assertEqual(comp.terminate(), 0, comp.log_text())
        with harness.Compositor("--no-camera", "--no-realtime") as comp:
            comp.wait_for_log("running on WAYLAND_DISPLAY", timeout=30)
            self.assertEqual(scheduling(comp.process.pid), (os.SCHED_OTHER, False))
            self.assertEqual(thp_enabled(comp.process.pid), 1)
            self.assertEqual(comp.terminate(), 0, comp.log_text())

    def test_command_exit_status_becomes_fencecam_s(self):
        """fencecam -- COMMAND ends when COMMAND does, with its exit status
        (128 + N when signal N killed it), and says so in one line."""
        for script, status, words in [("exit 3", 3, "exited with status 3"),
                                      ("kill -KILL $$", 137, "was killed by signal 9 (Killed)"),
                                      ("exit 0", 0, "exited with status 0")]:
            with harness.Compositor("--no-camera", "--", "sh", "-c", script) as comp:
                self.assertEqual(comp.process.wait(timeout=30), status, comp.log_text())
                self.assertIn(f"fencecam: 'sh' {words}; exiting with status {status}\n",
                              comp.log_text())

    def test_keep_running_outlives_command(self):
        with harness.Compositor("--no-camera", "--keep-running", "--", "sh", "-c",
                                "exit 5") as comp:
            comp.wait_for_log("fencecam: 'sh' exited with status 5; staying up (--keep-running)",
                              timeout=30)
            # Still serving clients.
            comp.start_client("weston-simple-shm")
            comp.wait_for_log("view mapped", timeout=30)
            self.assertEqual(comp.terminate(), 0, comp.log_text())

    def test_command_does_not_outlive_fencecam(self):
        """Stopped with SIGTERM, fencecam exits 0 and takes COMMAND with it."""
        pid_file = os.path.join(OUT_DIR, f"command-{os.getpid()}.pid")
        with harness.Compositor("--no-camera", "--", *sleeping_command(pid_file)) as comp:
            pid = read_pid(pid_file)
            self.assertEqual(comp.terminate(), 0, comp.log_text())
        self.assertFalse(os.path.exists(f"/proc/{pid}"), "COMMAND outlived fencecam")

    def test_sigint_exits_cleanly(self):
        with harness.Compositor() as comp:
            comp.process.send_signal(subprocess.signal.SIGINT)
            self.assertEqual(comp.process.wait(timeout=20), 0, comp.log_text())

    def test_help_names_keys_and_options(self):
        result = subprocess.run([harness.fencecam_binary(), "--help"], capture_output=True,
                                text=True, timeout=20)
        self.assertEqual(result.returncode, 0)
        for expected in ["Ctrl+Alt+BackSpace", "Ctrl+Alt+H", "Ctrl+Alt+F1..F12", "--no-quit-key",
                         "--keep-running", "-v, --version", "-V, --verbose", "-d, --debug"]:
            self.assertIn(expected, result.stdout)
        version = subprocess.run([harness.fencecam_binary(), "-v"], capture_output=True,
                                 text=True, timeout=20)
        self.assertRegex(version.stdout, r"^fencecam \d+\.\d+\.\d+ \(wlroots 0\.20\.")

    def test_unknown_option_is_one_line(self):
        result = subprocess.run([harness.fencecam_binary(), "--frobnicate"],
                                capture_output=True, text=True, timeout=20)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, "fencecam: unknown option '--frobnicate' (try --help)\n")

    def test_no_backend_is_one_clear_line(self):
        env = dict(os.environ, WLR_BACKENDS="nonexistent", XDG_RUNTIME_DIR="/tmp")
        env.pop("WAYLAND_DISPLAY", None)
        result = subprocess.run([harness.fencecam_binary()], capture_output=True, text=True,
                                env=env, timeout=20)
        self.assertEqual(result.returncode, 1)
        last = result.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith("fencecam: no backend could start"), result.stderr)


if __name__ == "__main__":
    unittest.main()
