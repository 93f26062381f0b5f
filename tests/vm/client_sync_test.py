"""Client surfaces get the built-in camera's guarantee:
a dma-buf commit is shown only once its producer's fence has signalled, a
late fence freezes nothing else, and a hostile client hurts only itself.

Runs inside tools/vm: fencecam on vkms with gles2 (llvmpipe; pixman cannot
show client dma-bufs), tests/vm/clients/fence_client.cpp as the client whose
fences the test signals (vgem write fences; sw_sync fences behind
linux-drm-syncobj-v1 acquire points on virtio_gpu's timelines).
"""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402

OUT_DIR = os.environ.get("FENCECAM_TEST_OUT", os.path.join(harness.build_dir(), "test-out", "vm"))
MODE = "640x480"
BLUE, GREEN, RED = (0, 0, 255), (0, 255, 0), (255, 0, 0)
# A point of the fence client, alone (fullscreen) or with weston-simple-shm
# beside it: two windows share the output side by side, the first one on
# the left.
PROBE = (160, 400)
SHM_X = 320  # where the second window's half starts
# fencecam's --client-fence-timeout. Tests that hold a fence on purpose
# (screenshots, a sleep, then signal) get a bound that no host load reaches
# (on a busy 2-core TCG host the hold has taken more than the default 5 s);
# the test of the bound itself gets a short one, to see it end the client.
HOLD_BOUND_MS = 30000
SHORT_BOUND_MS = 2000
# vgem signals a fence nobody signalled after 10 s (VGEM_FENCE_TIMEOUT): a
# test holding a vgem fence must be done looking before then.
VGEM_FENCE_TIMEOUT_S = 10


def fence_client_binary():
    return os.environ.get("FENCECAM_FENCE_CLIENT") or os.path.join(
        harness.build_dir(), "tests", "vm", "fencecam-fence-client")


class FenceClient:
    """fencecam-fence-client, driven one command line at a time."""

    def __init__(self, comp, mode, name):
        self.log_path = os.path.join(OUT_DIR, name + ".log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen([fence_client_binary(), mode], env=comp.client_env(),
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=log, text=True, bufsize=1)
        comp.clients.append(self.process)
        self.ready = self.line(timeout=60)
        if not self.ready.startswith("ready"):
            raise AssertionError(f"fence client did not start: {self.ready}")

    def line(self, timeout):
        import select
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise AssertionError("no answer from the fence client")
        return self.process.stdout.readline().strip()

    def send(self, command, timeout=60):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.line(timeout)

    def do(self, command):
        answer = self.send(command)
        if not answer.startswith("ok"):
            raise AssertionError(f"{command}: {answer}")
        return answer

    def released(self, n):
        return self.do(f"released {n}") == "ok 1"


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_targets(pid):
    """fd -> what it is (path, anon inode, a dma-buf's exporter and size), for
    naming leaks."""
    targets = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                fields = dict(line.split(maxsplit=1) for line in info if len(line.split()) > 1)
        except OSError:
            continue
        if "exp_name:" in fields:
            target += f" ({fields['exp_name:'].strip()}, {fields.get('size:', '?').strip()} bytes)"
        targets[fd] = target
    return targets


def color(c):
    return " ".join(map(str, c))


class ClientSync(unittest.TestCase):
    def setUp(self):
        os.makedirs(OUT_DIR, exist_ok=True)

    def compositor(self, name, client_fence_timeout_ms):
        return harness.Compositor("--no-camera", "--mode", MODE, "--client-fence-timeout",
                                  str(client_fence_timeout_ms), backend="drm", renderer="gles2",
                                  log_path=os.path.join(OUT_DIR, name + ".log"))

    def screen(self, comp, name):
        return comp.screenshot(os.path.join(OUT_DIR, name + ".ppm"))

    def wait_for_probe(self, comp, name, expected, timeout=90):
        return comp.wait_for_screen(os.path.join(OUT_DIR, name + ".ppm"),
                                    lambda image: harness.near(image.pixel(*PROBE), expected),
                                    timeout=timeout)

    def test_implicit_fence_holds_commit(self):
        """A vgem dma-buf committed with an unsignalled write fence is not
        shown until the fence signals; weston-simple-shm keeps animating."""
        with self.compositor("implicit-fence", HOLD_BOUND_MS) as comp:
            client = FenceClient(comp, "implicit", "implicit-fence-client")
            client.do("show " + color(BLUE))
            self.wait_for_probe(comp, "implicit-blue", BLUE)
            comp.start_client("weston-simple-shm")
            comp.wait_for_screen(os.path.join(OUT_DIR, "implicit-shm.ppm"),
                                 lambda image: harness.near(image.pixel(*PROBE), BLUE) and
                                 not harness.near(image.pixel(SHM_X + 160, 240), BLUE),
                                 timeout=60)

            started = time.monotonic()
            client.do("fenced " + color(RED))
            first = self.screen(comp, "implicit-held-1")
            time.sleep(1.0)
            second = self.screen(comp, "implicit-held-2")
            held_for = time.monotonic() - started
            # Both screenshots from before vgem or the bound could end the
            # hold, and a margin for "signal" to come first.
            self.assertLess(held_for, min(VGEM_FENCE_TIMEOUT_S, HOLD_BOUND_MS / 1000) - 2,
                            f"screenshots too slow to test the hold ({held_for:.1f} s)")
            client.do("signal")
            for image in (first, second):
                self.assertTrue(harness.near(image.pixel(*PROBE), BLUE),
                                f"unsignalled frame shown: {image.pixel(*PROBE)}")
            shm_first = first.region_colors(SHM_X + 40, 100, SHM_X + 280, 380)
            shm_second = second.region_colors(SHM_X + 40, 100, SHM_X + 280, 380)
            self.assertNotEqual([first.pixel(x, 240) for x in range(SHM_X + 40, SHM_X + 280)],
                                [second.pixel(x, 240) for x in range(SHM_X + 40, SHM_X + 280)],
                                "weston-simple-shm stopped animating while a fence was held")
            self.assertTrue(shm_first and shm_second)

            self.wait_for_probe(comp, "implicit-red", RED, timeout=30)
            self.assertIsNone(client.process.poll())
            self.assertNotIn("disconnected", comp.log_text())
            self.assertEqual(comp.terminate(), 0, comp.log_text())

    def test_syncobj_acquire_and_release(self):
        """An acquire point backed by a sw_sync fence holds the commit until
        it signals; each release point signals once its buffer is replaced."""
        with self.compositor("syncobj", HOLD_BOUND_MS) as comp:
            client = FenceClient(comp, "syncobj", "syncobj-client")
            client.do("show " + color(BLUE))  # commit 1
            self.wait_for_probe(comp, "syncobj-blue", BLUE)
            client.do("show " + color(GREEN))  # commit 2
            self.wait_for_probe(comp, "syncobj-green", GREEN, timeout=30)
            self.wait_until(lambda: client.released(1), "release point of commit 1", 20)

            started = time.monotonic()
            client.do("fenced " + color(RED))  # commit 3
            time.sleep(1.0)
            image = self.screen(comp, "syncobj-held")
            self.assertTrue(harness.near(image.pixel(*PROBE), GREEN),
                            f"unsignalled frame shown: {image.pixel(*PROBE)}")
            self.assertFalse(client.released(2), "released a buffer still on screen")
            held_for = time.monotonic() - started
            # Well inside the bound, or a disconnect could pass for a hold.
            self.assertLess(held_for, HOLD_BOUND_MS / 1000 / 2,
                            f"screenshot too slow to test the hold ({held_for:.1f} s)")

            client.do("signal")
            self.wait_for_probe(comp, "syncobj-red", RED, timeout=30)
            self.wait_until(lambda: client.released(2), "release point of commit 2", 20)
            self.assertIsNone(client.process.poll())
            self.assertNotIn("disconnected", comp.log_text())
            self.assertEqual(comp.terminate(), 0, comp.log_text())

    def wait_until(self, predicate, what, timeout):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.fail(f"{what() if callable(what) else what}: not within {timeout} s")
            time.sleep(0.2)

    def expect_protocol_error(self, client, command):
        """Returns how long after sending COMMAND the error came, in seconds."""
        started = time.monotonic()
        answer = client.send(command, timeout=60)
        if answer.startswith("ok"):
            answer = client.line(timeout=60)
        self.assertTrue(answer.startswith("protocol-error"), f"{command}: {answer}")
        client.process.wait(timeout=10)
        return time.monotonic() - started

    def expect_disconnect_at_bound(self, comp, sync, name, command, what):
        """A fence that never signals ends its client at the bound, not before."""
        waited = self.expect_protocol_error(FenceClient(comp, sync, name), command)
        comp.wait_for_log(f"{what} did not signal in time (bound {SHORT_BOUND_MS} ms)",
                          timeout=30)
        self.assertGreaterEqual(waited, SHORT_BOUND_MS / 1000, "ended before the bound")

    def hostile_round(self, comp, good, number, final):
        """Every hostile client once; ends with GOOD showing FINAL."""
        for param in ["stride", "offset", "size", "fd", "format", "modifier"]:
            with self.subTest(round=number, bad=param):
                bad = FenceClient(comp, "implicit", f"hostile-bad-{param}")
                self.expect_protocol_error(bad, f"bad {param}")

        # wlroots closes only the fds in plane slots below the plane
        # count: planes 1 and 3 (count 2) leave slot 3, plane 1 alone
        # (count 1) its only fd, with no error when the params are
        # destroyed unused. None of them may stay open.
        fds_planes = fd_count(comp.process.pid)
        quiet = FenceClient(comp, "implicit", "hostile-unused-planes")
        for planes in ["1 3", "1", "2 3", "0 2", "3", "0 1 2 3"]:
            quiet.do(f"unused 8 {planes}")
        quiet.process.stdin.close()
        quiet.process.wait(timeout=10)
        for planes in ["1 3", "0 3", "1", "0 1 3"]:
            with self.subTest(round=number, rejected=planes):
                bad = FenceClient(comp, "implicit", "hostile-rejected-planes")
                self.expect_protocol_error(bad, f"rejected {planes}")
        with self.subTest(round=number, case="params reused after create"):
            bad = FenceClient(comp, "implicit", "hostile-reused-params")
            self.expect_protocol_error(bad, "reused")
        self.wait_until(lambda: fd_count(comp.process.pid) <= fds_planes,
                        lambda: f"fencecam's fds back to {fds_planes} after the plane "
                        f"sequences (now {fd_count(comp.process.pid)})", 20)

        with self.subTest(round=number, case="dma-buf larger than the renderer can sample"):
            # 32 MiB, a valid dma-buf, far past any GL_MAX_TEXTURE_SIZE:
            # refused at import (INVALID_DIMENSIONS), never composited.
            bad = FenceClient(comp, "implicit", "hostile-huge")
            self.expect_protocol_error(bad, "huge 16 524288")
            with open(bad.log_path) as log:
                self.assertRegex(log.read(), r"error 5: dma-buf rejected: 16x524288 is "
                                 r"larger than \d+x\d+, the largest buffer")
            self.assertIsNone(comp.process.poll(), "fencecam died of a huge dma-buf")

        with self.subTest(round=number, case="syncobj fd that is not one"):
            bad = FenceClient(comp, "syncobj", "hostile-bad-timeline")
            self.expect_protocol_error(bad, "bad-timeline")

        with self.subTest(round=number, case="acquire point never materialises"):
            self.expect_disconnect_at_bound(comp, "syncobj", "hostile-never",
                                            "never " + color(RED), "its acquire point")

        with self.subTest(round=number, case="write fence never signals"):
            # vgem signals a forgotten fence itself after 10 s; the bound is
            # well before that.
            self.expect_disconnect_at_bound(comp, "implicit", "hostile-unsignalled",
                                            "hold " + color(RED), "its dma-buf's write fence")

        with self.subTest(round=number, case="read-only dma-buf that needs composition"):
            # llvmpipe cannot map it writable: a CPU copy of it is shown,
            # tiled beside the good client (at the top of its half).
            readonly = FenceClient(comp, "implicit", "hostile-readonly")
            readonly.do("readonly " + color(RED))
            comp.wait_for_screen(os.path.join(OUT_DIR, f"hostile-readonly-{number}.ppm"),
                                 lambda image: harness.near(image.pixel(SHM_X + 160, 120), RED),
                                 timeout=60)
            self.assertIsNone(comp.process.poll(), "fencecam crashed on a read-only dma-buf")
            readonly.process.kill()
            readonly.process.wait(timeout=10)

        with self.subTest(round=number, case="killed while its commit is held"):
            bad = FenceClient(comp, "implicit", "hostile-killed")
            bad.do("hold " + color(RED))
            bad.process.kill()
            bad.process.wait(timeout=10)

        good.do("show " + color(final))
        self.wait_for_probe(comp, f"hostile-round{number}-end", final, timeout=30)

    def test_hostile_clients(self):
        """Bad dma-buf parameters, plane fds at any index (destroyed unused,
        rejected, reused), a dma-buf too large to show, a timeline that is not
        one, an acquire point that never materialises, a write fence that
        never signals (both ended by the bound, not before), a read-only
        dma-buf the software renderer would have to composite (shown as a CPU
        copy), a client killed while its commit is held: the offender gets a
        protocol error, is not shown, or is gone;
        the compositor and a well-behaved client carry on, and no fd is left
        behind."""
        with self.compositor("hostile", SHORT_BOUND_MS) as comp:
            good = FenceClient(comp, "implicit", "hostile-good-client")
            good.do("show " + color(RED))
            # A second window beside it, for what fencecam keeps from then
            # on: the output's buffers to composite into, and the good
            # client's dma-buf feedback as a tiled window.
            beside = FenceClient(comp, "implicit", "hostile-beside")
            beside.do("show " + color(GREEN))
            comp.wait_for_screen(os.path.join(OUT_DIR, "hostile-beside.ppm"),
                                 lambda image: harness.near(image.pixel(SHM_X + 160, 240), GREEN),
                                 timeout=60)
            # Each of the good client's four buffers (it takes them in turn)
            # composited once, each seen on screen: the renderer keeps an
            # import per buffer it has sampled (with llvmpipe a duplicate of
            # the dma-buf fd) for as long as the buffer lives. That is no
            # leak, but a buffer first composited in the round measured
            # would look like one; a buffer only ever scanned out has none.
            for number, c in enumerate((BLUE, RED, BLUE, RED)):
                good.do("show " + color(c))
                self.wait_for_probe(comp, f"hostile-composited-{number}", c)
            beside.process.kill()
            beside.process.wait(timeout=10)
            good.do("show " + color(BLUE))
            self.wait_for_probe(comp, "hostile-blue", BLUE)
            # The baseline is taken after a whole first round: wlroots allocates
            # some state once, on first need (a surface's dma-buf feedback table,
            # a swapchain's further buffers), and that is no leak. A leak grows
            # with every round.
            self.hostile_round(comp, good, 1, GREEN)
            fds_before = fd_count(comp.process.pid)
            targets_before = fd_targets(comp.process.pid)
            self.hostile_round(comp, good, 2, BLUE)
            self.wait_until(lambda: fd_count(comp.process.pid) <= fds_before,
                            lambda: f"fencecam's fds back to {fds_before} (now "
                            f"{fd_count(comp.process.pid)}; new: "
                            f"{set(fd_targets(comp.process.pid).items()) - set(targets_before.items())})",
                            20)
            self.assertIsNone(good.process.poll())
            self.assertEqual(comp.terminate(), 0, comp.log_text())


if __name__ == "__main__":
    unittest.main()
