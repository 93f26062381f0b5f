"""A USB webcam on uvcvideo, inside `FENCECAM_VM_UVC=1 tools/vm`: the VM's
UVC gadget camera (tools/vm-guest/uvc-gadget) reaches the guest's own
uvcvideo through usbip-vudc and vhci-hcd, so frames arrive as a real
webcam's do: YUYV, vmalloc buffers, URB completions, a real USB disconnect.

Its test pattern (tests/vm/uvc_gadget/test_pattern.hpp) numbers each frame
in a band of 16 black or white cells at the top, and moves a white bar over
a blue field: a screenshot says which frame is on screen.

vkms' primary plane takes no YUYV, so fencecam composites the camera (gles2
on llvmpipe) and says so. Every test fails, never skips, when the gadget
camera is missing.
"""

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
from camera_client_test import camera_client_binary  # noqa: E402

OUT_DIR = os.environ.get("FENCECAM_TEST_OUT", os.path.join(harness.build_dir(), "test-out", "vm"))
MODE = "640x480"
# udev's name for the gadget camera (tests/vm/meson.build): the same after a
# re-plug, when the /dev/videoN number may not be.
BY_ID = os.environ["FENCECAM_UVC_CAMERA"]
UVC_GADGET = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "vm-guest", "uvc-gadget")
FEEDER_PID = "/run/fencecam/uvc-feeder.pid"  # tools/vm-guest/uvc-gadget writes it
CLIENT_SUMMARY = re.compile(r"fencecam-camera: (\d+) frames presented \((\d+) zero-copy\), "
                            r"(\d+) discarded")
CLIENT_FRAMES = 60
CLIENT_BUFFERS = re.compile(r"fencecam-camera: .*, (\d+) buffers\n")


def uvc():
    node = os.environ.get("FENCECAM_UVC")
    if not node:
        raise AssertionError("no UVC gadget camera: run this inside FENCECAM_VM_UVC=1 tools/vm")
    return node


def with_release_fences():
    with open("/sys/module/uvcvideo/parameters/release_fences") as param:
        if "Y" not in param.read():
            raise AssertionError("uvcvideo runs without release fences: use FENCECAM_VB2_FENCES=1")


def frame_number(image):
    """The pattern's frame counter, or None where the screen shows no clean
    counter band (no camera, or the band scaled or torn)."""
    y = image.height // 16
    value = 0
    for cell in range(16):
        # The pattern's black and white (Y 16 and 235) are RGB 0 and 255:
        # the dark grey background or the red "no signal" is neither.
        color = image.pixel((2 * cell + 1) * image.width // 32, y)
        if max(color) <= 12:
            value <<= 1
        elif min(color) >= 220:
            value = value << 1 | 1
        else:
            return None
    return value


def bar_x(image):
    """Where the white bar crosses the blue field, or None."""
    y = image.height * 3 // 4
    white = [x for x in range(image.width) if min(image.pixel(x, y)) > 190]
    return white[0] if white else None


def is_blue_field(color):
    return color[2] > 150 and color[0] < 100


class Uvc(unittest.TestCase):
    def setUp(self):
        os.makedirs(OUT_DIR, exist_ok=True)
        uvc()

    def out(self, name):
        return os.path.join(OUT_DIR, name)

    def check_pattern_moves(self, comp, name):
        """Two screenshots of the pattern, the second of a later frame with
        the bar elsewhere."""
        first = comp.wait_for_screen(self.out(name + "-1.ppm"),
                                     lambda image: frame_number(image) is not None, timeout=90)
        self.assertTrue(any(is_blue_field(first.pixel(x, first.height - 8))
                            for x in range(0, first.width, first.width // 4)),
                        "the gadget's blue field is on screen")

        def later(image):
            number = frame_number(image)
            return number is not None and number > frame_number(first)

        second = comp.wait_for_screen(self.out(name + "-2.ppm"), later, timeout=60)
        self.assertNotEqual(bar_x(first), bar_x(second), "the bar moved")

    def check_builtin_camera(self, mode, camera):
        name = "uvc-builtin-" + mode
        with harness.Compositor("--camera", camera, "--mode", MODE, backend="drm",
                                renderer="gles2", log_path=self.out(name + ".log")) as comp:
            comp.wait_for_log(f"sync mode {mode}: detected", timeout=120)
            self.assertIn(f"camera {uvc()} (fencecam gadget camera", comp.log_text())
            self.assertIn("uvcvideo", comp.log_text())
            # Picked from what the camera reports: the output's size, in the
            # one format it offers at that size, at its highest rate there.
            self.assertIn(f"camera {uvc()} picked YUYV 640x480: the output's size (640x480); "
                          "YUYV, which the renderer composites", comp.log_text())
            self.assertIn("30 fps, the highest at this size", comp.log_text())
            self.assertIn("camera YUYV 640x480: to be composited, as the output's primary plane "
                          "cannot scan this format out", comp.log_text())
            self.check_pattern_moves(comp, name)
            self.assertEqual(comp.terminate(timeout=60), 0, comp.log_text())
            log = comp.log_text()
        # vkms numbers its connector Virtual-N, not always 1 (seen: 2).
        self.assertRegex(log, r"camera on Virtual-\d+: composited")
        summary = harness.camera_summary(log)
        print(f"\nuvc {mode}: {summary}", file=sys.stderr)
        self.assertGreater(summary["latched"], 5, summary)
        self.assertEqual(summary["scanout_samples"], 0, summary)
        if mode == "dqbuf":
            self.assertEqual(summary["errors"], 0, summary)
        # In fence mode, frames the starved VM delivers more than the
        # kernel's fence bound late fail with -ETIME: counted, never shown.

    def test_uvc_builtin_camera_dqbuf(self):
        """Debian's uvcvideo: no release fences, so DQBUF says a frame is done.
        The camera is named as a person would: a part of its name."""
        self.check_builtin_camera("dqbuf", "Gadget Camera")

    def test_uvc_builtin_camera_fence(self):
        """Our uvcvideo with release_fences=1: frames latched on their fences."""
        with_release_fences()
        self.check_builtin_camera("fence", uvc())

    def test_uvc_list_cameras(self):
        """--list-cameras, in fencecam and fencecam-camera alike: vivid and the
        gadget camera, each with its name, driver, by-id link, formats, sizes
        and rates as configfs describes them, and release fences offered
        exactly where the kernel offers them."""
        fences = os.path.exists("/sys/module/uvcvideo/parameters/release_fences")
        for binary in (harness.fencecam_binary(), camera_client_binary()):
            result = subprocess.run([binary, "--list-cameras"], capture_output=True, text=True,
                                    timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr)
            listing = result.stdout
            with open(self.out("uvc-list-cameras.txt"), "w") as kept:
                kept.write(listing)
            gadget = listing[listing.index(uvc() + ": fencecam gadget camera"):]
            gadget = gadget.split("\n\n")[0]
            self.assertIn("(driver uvcvideo)", gadget)
            self.assertIn("by id: " + BY_ID, gadget)
            self.assertRegex(gadget, r"YUYV \(.*\): 640x480@30,15,5 1280x720@10,5")
            self.assertRegex(gadget, r"MJPG \(.*compressed\): 1280x720@30,10")
            self.assertIn("release fences: offered" if fences else "release fences: not offered",
                          gadget)
            vivid = os.environ["FENCECAM_VIVID"]
            self.assertIn(vivid + ": vivid", listing)
            self.assertRegex(listing, vivid + r": .*\(driver vivid\)\n(.*\n)*  YUYV \(")
        print("\n" + listing, file=sys.stderr)

    def test_uvc_unplug_and_replug(self):
        """The gadget unbound from its UDC mid-stream, as a pulled cable: every
        release fence the camera had handed out (held here, outside
        fencecam) signals with an error within a bound; fencecam says the
        camera is lost, shows "no signal", and takes the camera back once the
        gadget is bound again."""
        with_release_fences()
        self.assertEqual(os.path.realpath(BY_ID), uvc())
        # Later tests need the camera, whatever happens here.
        self.addCleanup(lambda: os.path.exists(BY_ID) or subprocess.run(
            [UVC_GADGET, "plug"], timeout=60, stdout=subprocess.DEVNULL))
        with harness.Compositor("--camera", BY_ID, "--mode", MODE, backend="drm",
                                renderer="gles2", log_path=self.out("uvc-unplug.log")) as comp:
            comp.wait_for_log("sync mode fence: detected", timeout=120)
            comp.wait_for_screen(self.out("uvc-unplug-before.ppm"),
                                 lambda image: frame_number(image) is not None, timeout=90)
            output, pending = self.unplug_with_fences_pending(comp)
            with open(self.out("uvc-unplug-fences.txt"), "w") as kept:
                kept.write(output)
            print(f"\nunplug: {pending} pending fences:\n{output}", file=sys.stderr)
            statuses = [int(status) for status in re.findall(r"status (-?\d+)", output)]
            self.assertEqual(len(statuses), pending, output)
            self.assertTrue(all(status < 0 for status in statuses),
                            "an unplugged camera's frames are not done:\n" + output)

            comp.wait_for_log("camera lost", timeout=30)
            center = (320, 240)
            comp.wait_for_screen(self.out("uvc-unplug-no-signal.ppm"),
                                 lambda image: harness.near(image.pixel(*center),
                                                            harness.NO_SIGNAL), timeout=30)
            self.assertIsNone(comp.process.poll())

            subprocess.run([UVC_GADGET, "plug"], check=True, timeout=60, stdout=subprocess.DEVNULL)
            comp.wait_for_count("sync mode fence: detected", 2, timeout=120)
            comp.wait_for_screen(self.out("uvc-unplug-back.ppm"),
                                 lambda image: frame_number(image) is not None, timeout=90)
            self.assertEqual(comp.terminate(timeout=60), 0, comp.log_text())

    def unplug_with_fences_pending(self, comp):
        """Unplugs the gadget while fencecam's camera holds queued buffers;
        the fence watcher's report of how their fences ended, and how many
        were pending."""
        # The gadget stops sending first, as a camera whose cable is pulled
        # mid-frame does: otherwise the frames in flight complete, rightly,
        # before the disconnect reaches the host (35 to 84 ms here), and no
        # fence is left to fail.
        with open(FEEDER_PID) as pid_file:
            feeder = int(pid_file.read())
        os.kill(feeder, signal.SIGSTOP)
        watch = None
        try:
            time.sleep(0.5)
            # A moment when the camera holds queued buffers, whose fences
            # are pending: most moments, but not all (e.g. a restart).
            for _ in range(20):
                watch = subprocess.Popen([os.environ["FENCECAM_FENCE_WATCH"],
                                          str(comp.process.pid), "5000"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                pending = int(watch.stdout.readline().split()[1])
                if pending > 0:
                    break
                watch.kill()
                watch.wait()
                time.sleep(0.5)
            self.assertGreaterEqual(pending, 1, "the camera holds queued buffers")
            watch.stdin.write("unplugged\n")
            watch.stdin.flush()
            unplug = subprocess.Popen([UVC_GADGET, "unplug"])
            output, _ = watch.communicate(timeout=30)
        finally:
            if watch and watch.poll() is None:
                watch.kill()
            # Its node gone, the feeder ends, and the unplug with it.
            os.kill(feeder, signal.SIGCONT)
        self.assertEqual(unplug.wait(timeout=60), 0, "tools/vm-guest/uvc-gadget unplug")
        self.assertEqual(watch.returncode, 0, "every fence signalled within 5 s:\n" + output)
        return output, pending

    def check_camera_client(self, order):
        name = "uvc-camera-client" + order
        with harness.Compositor("--no-camera", "--mode", MODE, backend="drm", renderer="gles2",
                                log_path=self.out(name + ".log")) as comp:
            result = subprocess.run(
                [camera_client_binary(), "--camera", uvc(), "--sync", "explicit", order,
                 "--frames", str(CLIENT_FRAMES)],
                env=comp.client_env(), capture_output=True, text=True, timeout=300)
            with open(self.out(name + "-client.log"), "w") as log:
                log.write(result.stderr + result.stdout)
            self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
            summary = CLIENT_SUMMARY.search(result.stdout)
            self.assertIsNotNone(summary, "no summary line:\n" + result.stdout)
            # YUYV is composited, by llvmpipe under emulation: a few frames a
            # second reach the screen, the rest are replaced by newer ones
            # first. Every frame gets its presentation feedback, but for the
            # few still in flight (one a buffer, at most) when the client's
            # one-second wait for them at exit ran out: a frame on llvmpipe
            # can take longer than that to reach the screen.
            presented, discarded = int(summary.group(1)), int(summary.group(3))
            self.assertGreaterEqual(presented, 3, summary.group(0))
            self.assertLessEqual(presented + discarded, CLIENT_FRAMES, summary.group(0))
            buffers = CLIENT_BUFFERS.search(result.stderr + result.stdout)
            self.assertIsNotNone(buffers, "no buffer count:\n" + result.stderr)
            self.assertGreaterEqual(presented + discarded, CLIENT_FRAMES - int(buffers.group(1)),
                                    summary.group(0))
            self.assertIsNone(comp.process.poll())
            self.assertEqual(comp.terminate(timeout=60), 0, comp.log_text())
            print(f"\n{order}: {summary.group(0)}", file=sys.stderr)
        expected = "ahead of completion" if order == "--ahead" else "after DQBUF"
        self.assertIn(expected, result.stderr + result.stdout)

    def test_uvc_camera_client_ahead(self):
        with_release_fences()
        self.check_camera_client("--ahead")

    def test_uvc_camera_client_no_ahead(self):
        with_release_fences()
        self.check_camera_client("--no-ahead")


if __name__ == "__main__":
    unittest.main()
