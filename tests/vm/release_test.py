"""A client gets its buffer back only when nothing can read it any more.

The client (tests/vm/clients/fence_client.cpp, `stream`) commits its own
three dma-bufs one per frame callback, reusing each only once released, and
records for every commit when it was presented (wp_presentation feedback:
the page flip) and when its buffer came back (the linux-drm-syncobj release
point, polled every millisecond, or wl_buffer.release). A commit's buffer is
still read until the next commit the client saw presented has replaced it on
screen: scanned out, KMS reads it until that page flip; composited, the
render that read it is done by the time its successor is flipped. So every
release must come after that flip. fencecam on vkms with gles2, the client
alone (direct scanout) and then beside a second window (composited).
"""

import os
import statistics
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402
from client_sync_test import MODE, OUT_DIR, SHM_X, FenceClient, color  # noqa: E402

FRAMES = 120
# Composited, each commit waits for llvmpipe to draw the last frame (about
# three a second at this size under emulation), and so do frame callbacks.
COMPOSITED_FRAMES = 24
GREEN = (0, 255, 0)


def stream(client, count):
    """Each commit of a stream: (buffer, commit, presented, released) in ns."""
    client.process.stdin.write(f"stream {count}\n")
    client.process.stdin.flush()
    frames = []
    while True:
        # Many lines at once: read them as they come (select would not see
        # the ones already buffered).
        line = client.process.stdout.readline().strip()
        if line.startswith("frame "):
            frames.append(tuple(int(field) for field in line.split()[2:]))
        elif line == "ok":
            return frames
        else:
            raise AssertionError(f"stream: {line}")


def early_releases(frames):
    """Commits whose buffer came back before the page flip that replaced it,
    and how many releases could be checked, and the release delays after
    that flip (ms)."""
    early, checked, delays = [], 0, []
    presented = [i for i, frame in enumerate(frames) if frame[2] > 0]
    for before, after in zip(presented, presented[1:]):
        released, replaced_at = frames[before][3], frames[after][2]
        if released == 0:
            continue
        checked += 1
        delays.append((released - replaced_at) / 1e6)
        if released < replaced_at:
            early.append((before, (replaced_at - released) / 1e6))
    return early, checked, delays


class Release(unittest.TestCase):
    def setUp(self):
        os.makedirs(OUT_DIR, exist_ok=True)

    def check_stream(self, client, what, count):
        frames = stream(client, count)
        early, checked, delays = early_releases(frames)
        print(f"{what}: {checked} releases checked, release after the replacing flip: "
              f"median {statistics.median(delays):.2f} ms, min {min(delays):.2f} ms"
              if delays else f"{what}: no release checked", file=sys.stderr)
        # Enough presented commits with their buffer back to mean something.
        self.assertGreater(checked, count // 4, f"{what}: {frames}")
        self.assertEqual(early, [], f"{what}: released before the flip that replaced the "
                         "buffer (commit, ms early)")

    def check_release_after_flip(self, sync):
        with harness.Compositor("--no-camera", "--mode", MODE, "--client-fence-timeout", "30000",
                                backend="drm", renderer="gles2",
                                log_path=os.path.join(OUT_DIR, f"release-{sync}.log")) as comp:
            client = FenceClient(comp, sync, f"release-{sync}-client")
            # Alone at the output's size: the scene scans the buffers out.
            self.check_stream(client, f"{sync}, direct scanout", FRAMES)
            self.assertRegex(comp.log_text(), r"view .* on \S+: direct scanout")

            # A second window beside it: both are composited.
            beside = FenceClient(comp, "implicit", f"release-{sync}-beside")
            beside.do("show " + color(GREEN))
            comp.wait_for_screen(os.path.join(OUT_DIR, f"release-{sync}-beside.ppm"),
                                 lambda image: harness.near(image.pixel(SHM_X + 160, 240), GREEN),
                                 timeout=60)
            self.check_stream(client, f"{sync}, composited", COMPOSITED_FRAMES)
            log = comp.log_text()
            self.assertGreater(log.rfind(": composited"), log.find(": direct scanout"))
            self.assertNotIn("disconnected", comp.log_text())
            self.assertEqual(comp.terminate(), 0, comp.log_text())

    def test_release_after_flip_explicit(self):
        self.check_release_after_flip("syncobj")

    def test_release_after_flip_implicit(self):
        self.check_release_after_flip("implicit")


if __name__ == "__main__":
    unittest.main()
