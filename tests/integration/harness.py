"""Run fencecam and real clients, and look at what reaches the screen.

Shared by the integration tests (headless backend, on the host or in the
forky root) and the VM tests (DRM backend on vkms).
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass
class Image:
    width: int
    height: int
    rgb: bytes

    def pixel(self, x, y):
        i = 3 * (y * self.width + x)
        return tuple(self.rgb[i:i + 3])

    def region_colors(self, x0, y0, x1, y1):
        """The set of distinct colours in [x0, x1) x [y0, y1)."""
        return {self.pixel(x, y) for y in range(y0, y1) for x in range(x0, x1)}


def read_ppm(path):
    """Reads a binary (P6, 8-bit) PPM, as `grim -t ppm` writes it."""
    with open(path, "rb") as f:
        data = f.read()
    fields = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError(f"{path}: not an 8-bit P6 PPM")
    width, height = int(fields[1]), int(fields[2])
    rgb = data[pos + 1:pos + 1 + 3 * width * height]
    if len(rgb) != 3 * width * height:
        raise ValueError(f"{path}: truncated ({len(rgb)} bytes of pixels)")
    return Image(width, height, rgb)


def near(color, expected, tolerance=3):
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected))


# The compositor's background colour (server.cpp), as 8-bit RGB.
BACKGROUND = (26, 26, 36)
# The built-in camera's "no signal" field (camera_source.cpp).
NO_SIGNAL = (77, 10, 10)


def build_dir():
    return os.environ.get("FENCECAM_BUILD_DIR") or os.path.join(
        os.path.dirname(__file__), "..", "..", "build")


def fencecam_binary():
    return os.environ.get("FENCECAM") or os.path.join(build_dir(), "compositor", "fencecam")


class Compositor:
    """fencecam in a private XDG_RUNTIME_DIR, stopped with SIGTERM on exit."""

    def __init__(self, *args, env=None, log_path=None):
        self.runtime_dir = tempfile.mkdtemp(prefix="fencecam-xdg-")
        os.chmod(self.runtime_dir, 0o700)
        self.socket = "fencecam-test"
        self.env = dict(os.environ)
        self.env.update({
            "XDG_RUNTIME_DIR": self.runtime_dir,
            "WLR_BACKENDS": "headless",
            "WLR_RENDERER": "pixman",
            "WLR_HEADLESS_OUTPUTS": "1",
        })
        self.env.pop("WAYLAND_DISPLAY", None)
        self.env.pop("DISPLAY", None)
        self.env.update(env or {})
        self.args = [fencecam_binary(), "--socket", self.socket, "-v", *args]
        self.log_path = log_path or os.path.join(self.runtime_dir, "fencecam.log")
        self.process = None
        self.clients = []

    def __enter__(self):
        self.log = open(self.log_path, "w+")
        self.process = subprocess.Popen(self.args, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        self.wait_for_log("running on WAYLAND_DISPLAY", timeout=30)
        return self

    def __exit__(self, *exc):
        for client in self.clients:
            if client.poll() is None:
                client.kill()
                client.wait()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_for_log(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text():
                return
            if self.process.poll() is not None:
                raise AssertionError(
                    f"fencecam exited with {self.process.returncode} before '{text}':\n"
                    + self.log_text())
            time.sleep(0.05)
        raise AssertionError(f"no '{text}' from fencecam within {timeout} s:\n" + self.log_text())

    def client_env(self):
        env = dict(self.env)
        env["WAYLAND_DISPLAY"] = self.socket
        return env

    def start_client(self, *command):
        client = subprocess.Popen(command, env=self.client_env(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.clients.append(client)
        return client

    def screenshot(self, path):
        subprocess.run(["grim", "-t", "ppm", path], env=self.client_env(), check=True,
                       timeout=30)
        return read_ppm(path)

    def wait_for_screen(self, path, predicate, timeout):
        """Screenshots until predicate(image) holds; returns the image."""
        deadline = time.monotonic() + timeout
        image = None
        while time.monotonic() < deadline:
            image = self.screenshot(path)
            if predicate(image):
                return image
            time.sleep(0.2)
        raise AssertionError(f"the screen never showed what was expected; last: {path}")

    def terminate(self, timeout=20):
        """SIGTERM, then the exit status (the process must exit by itself)."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)
