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


def backend_env(backend, renderer):
    """The environment that makes wlroots pick `backend` and `renderer`.

    drm: the VM's vkms card (tools/vm names it in FENCECAM_VKMS) with
    libinput; the noop seat opens devices directly, as root. gles2 on vkms
    runs on llvmpipe, which wlroots only accepts when told to.
    """
    env = {"WLR_RENDERER": renderer}
    if backend == "headless":
        env.update({"WLR_BACKENDS": "headless", "WLR_HEADLESS_OUTPUTS": "1"})
    elif backend == "drm":
        vkms = os.environ.get("FENCECAM_VKMS")
        if not vkms:
            raise AssertionError("no vkms card: run this inside tools/vm")
        env.update({"WLR_BACKENDS": "drm,libinput", "WLR_DRM_DEVICES": vkms,
                    "LIBSEAT_BACKEND": "noop"})
        if renderer == "gles2":
            env["WLR_RENDERER_ALLOW_SOFTWARE"] = "1"
    else:
        raise ValueError(backend)
    return env


class Compositor:
    """fencecam in a private XDG_RUNTIME_DIR, stopped with SIGTERM on exit."""

    def __init__(self, *args, env=None, log_path=None, backend="headless", renderer="pixman"):
        self.runtime_dir = tempfile.mkdtemp(prefix="fencecam-xdg-")
        os.chmod(self.runtime_dir, 0o700)
        self.socket = "fencecam-test"
        self.env = dict(os.environ)
        self.env["XDG_RUNTIME_DIR"] = self.runtime_dir
        self.env.update(backend_env(backend, renderer))
        self.env.pop("WAYLAND_DISPLAY", None)
        self.env.pop("DISPLAY", None)
        self.env.update(env or {})
        # The live log stays in the runtime dir (tmpfs in the VM, where the
        # checkout is a 9p mount that a reader may see with holes, even after
        # the writer exited); a copy goes to the requested path at exit. In
        # the VM (the drm backend) so do the stats: `stats_path` is the live
        # file, to read while fencecam runs.
        self.log_path = os.path.join(self.runtime_dir, "fencecam.log")
        self.copies = [(self.log_path, log_path)] if log_path else []
        args = list(args)
        self.stats_path = args[args.index("--stats") + 1] if "--stats" in args[:-1] else None
        if self.stats_path and backend == "drm":
            at = args.index("--stats") + 1
            self.stats_path = os.path.join(self.runtime_dir, "stats.jsonl")
            self.copies.append((self.stats_path, args[at]))
            args[at] = self.stats_path
        self.args = [fencecam_binary(), "--socket", self.socket, "-V", *args]
        self.process = None
        self.clients = []
        self.final_log = None  # the log once fencecam is gone

    def __enter__(self):
        self.log = open(self.log_path, "w+")
        self.process = subprocess.Popen(self.args, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        try:
            # Generous: in the VM the first gles2 start reads llvmpipe (tens of
            # MB) over 9p and compiles its shaders under TCG, 15-25 s on a
            # loaded host; a hang still fails.
            self.wait_for_log("running on WAYLAND_DISPLAY", timeout=90)
        except BaseException:
            # __exit__ does not run when __enter__ fails: a compositor left
            # running here would hold the output for every later test.
            self.__exit__(None, None, None)
            raise
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
        for live, kept in self.copies:
            if os.path.exists(live):
                shutil.copyfile(live, kept)
        self.final_log = self.log_text()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def log_text(self):
        if self.final_log is not None:
            return self.final_log
        with open(self.log_path, errors="replace") as f:
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

    def start_client(self, *command, log_path=None):
        output = subprocess.DEVNULL
        if log_path:
            live = os.path.join(self.runtime_dir, f"client-{len(self.clients)}.log")
            self.copies.append((live, log_path))
            output = open(live, "w")
        client = subprocess.Popen(command, env=self.client_env(), stdout=output,
                                  stderr=subprocess.STDOUT)
        if log_path:
            output.close()  # the client has its own copy of the fd
        self.clients.append(client)
        return client

    def screenshot(self, path, cursor=False):
        """grim's PPM of the screen, kept at `path`. It is taken into this
        compositor's runtime dir and read from there: parallel runs of one
        test write the same `path`, and a reader must never see another
        run's half-written file."""
        private = os.path.join(self.runtime_dir, "screenshot.ppm")
        subprocess.run(["grim", *(["-c"] if cursor else []), "-t", "ppm", private],
                       env=self.client_env(), check=True, timeout=30)
        image = read_ppm(private)
        kept = f"{path}.{os.getpid()}.tmp"
        shutil.copyfile(private, kept)
        os.replace(kept, path)
        return image

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

    def count_in_log(self, text):
        return self.log_text().count(text)

    def wait_for_count(self, text, count, timeout):
        deadline = time.monotonic() + timeout
        while self.count_in_log(text) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"'{text}' not seen {count} times:\n" + self.log_text())
            time.sleep(0.1)

    def terminate(self, timeout=20):
        """SIGTERM, then the exit status (the process must exit by itself).
        One that does not exit in time is hung: where each of its threads
        waits goes into the error, for the failure to explain itself."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as timed_out:
            raise HungOnExit(timed_out.cmd, timeout, thread_stacks(self.process.pid)) from None


class HungOnExit(subprocess.TimeoutExpired):
    """A process that did not exit after SIGTERM, with its threads' stacks."""

    def __str__(self):
        return f"{super().__str__()}; where its threads wait:\n{self.output}"


def thread_cpu_ticks(pid):
    """Each thread's user plus system CPU time so far, in clock ticks."""
    ticks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ticks[tid] = int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks


def thread_stacks(pid):
    """Each thread's kernel stack, whether it ran over a second (busy, or
    waiting), and, where gdb is installed, its user stack."""
    lines = []
    before = thread_cpu_ticks(pid)
    time.sleep(1)
    after = thread_cpu_ticks(pid)
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        ran = (after.get(tid, 0) - before.get(tid, 0)) / os.sysconf("SC_CLK_TCK")
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as comm, \
                    open(f"/proc/{pid}/task/{tid}/stack") as stack:
                lines.append(f"thread {tid} ({comm.read().strip()}), {ran:.2f} s of CPU in "
                             f"the last second, kernel:\n{stack.read()}")
        except OSError as error:
            lines.append(f"thread {tid}: {error}")
    if shutil.which("gdb"):
        try:
            lines.append(subprocess.run(
                ["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt"],
                capture_output=True, text=True, timeout=120).stdout)
        except subprocess.TimeoutExpired:
            lines.append("gdb did not finish within 120 s")
    return "\n".join(lines)


def camera_summary(log):
    """The counters of fencecam's exit line 'camera: N frames latched, ...'."""
    import re
    match = re.search(
        r"camera: (\d+) frames latched, (\d+) errors, (\d+) stale, (\d+) stalls, "
        r"(\d+) restarts; "
        r"V4L2 sequence (-?\d+)\.\.(-?\d+); (\d+) samples by direct scanout, (\d+) composited; "
        r"(\d+) CPU reads", log)
    if not match:
        raise AssertionError("no camera summary in the log:\n" + log)
    keys = ["latched", "errors", "stale", "stalls", "restarts", "first_sequence", "last_sequence",
            "scanout_samples", "composited_samples", "cpu_reads"]
    return dict(zip(keys, map(int, match.groups())))


class UinputDevice:
    """An input device made with /dev/uinput: its events travel through the
    kernel's input layer, udev and libinput like a real device's."""

    EV_SYN, EV_KEY, EV_REL = 0, 1, 2
    UI_SET_EVBIT, UI_SET_KEYBIT, UI_SET_RELBIT = 0x40045564, 0x40045565, 0x40045566
    UI_DEV_SETUP, UI_DEV_CREATE, UI_DEV_DESTROY = 0x405C5503, 0x5501, 0x5502

    def __init__(self, name, keys=(), relative_axes=()):
        import fcntl
        import struct
        self._struct = struct
        self.fd = os.open("/dev/uinput", os.O_WRONLY | os.O_NONBLOCK)
        if keys:
            fcntl.ioctl(self.fd, self.UI_SET_EVBIT, self.EV_KEY)
        for key in keys:
            fcntl.ioctl(self.fd, self.UI_SET_KEYBIT, key)
        if relative_axes:
            fcntl.ioctl(self.fd, self.UI_SET_EVBIT, self.EV_REL)
        for axis in relative_axes:
            fcntl.ioctl(self.fd, self.UI_SET_RELBIT, axis)
        # struct uinput_setup: input_id (bustype=BUS_VIRTUAL, vendor, product,
        # version), name[80], ff_effects_max.
        setup = struct.pack("HHHH80sI", 0x06, 0x1, 0x1, 1, name.encode(), 0)
        fcntl.ioctl(self.fd, self.UI_DEV_SETUP, setup)
        fcntl.ioctl(self.fd, self.UI_DEV_CREATE)

    def _event(self, type_, code, value):
        os.write(self.fd, self._struct.pack("qqHHi", 0, 0, type_, code, value))

    def close(self):
        import fcntl
        fcntl.ioctl(self.fd, self.UI_DEV_DESTROY)
        os.close(self.fd)


class UinputPointer(UinputDevice):
    """A relative mouse (libinput wants a button to call it a pointer)."""

    NAME = "fencecam test mouse"
    REL_X, REL_Y, BTN_LEFT = 0, 1, 0x110

    def __init__(self):
        super().__init__(self.NAME, keys=[self.BTN_LEFT], relative_axes=[self.REL_X, self.REL_Y])

    def move(self, dx, dy):
        self._event(self.EV_REL, self.REL_X, dx)
        self._event(self.EV_REL, self.REL_Y, dy)
        self._event(self.EV_SYN, 0, 0)


class UinputTouchscreen(UinputDevice):
    """A one-finger multitouch screen (a direct device, so libinput calls it
    a touchscreen), 0..WIDTH x 0..HEIGHT, mapped by the compositor onto its
    output."""

    NAME = "fencecam test touchscreen"
    EV_ABS, BTN_TOUCH = 3, 0x14a
    ABS_X, ABS_Y = 0x00, 0x01
    ABS_MT_SLOT, ABS_MT_POSITION_X, ABS_MT_POSITION_Y, ABS_MT_TRACKING_ID = 0x2f, 0x35, 0x36, 0x39
    UI_SET_ABSBIT, UI_SET_PROPBIT, UI_ABS_SETUP = 0x40045567, 0x4004556E, 0x401C5504
    INPUT_PROP_DIRECT = 1
    WIDTH, HEIGHT = 1000, 1000

    def __init__(self):
        import fcntl
        import struct
        self._struct = struct
        self.fd = os.open("/dev/uinput", os.O_WRONLY | os.O_NONBLOCK)
        fcntl.ioctl(self.fd, self.UI_SET_EVBIT, self.EV_KEY)
        fcntl.ioctl(self.fd, self.UI_SET_KEYBIT, self.BTN_TOUCH)
        fcntl.ioctl(self.fd, self.UI_SET_EVBIT, self.EV_ABS)
        fcntl.ioctl(self.fd, self.UI_SET_PROPBIT, self.INPUT_PROP_DIRECT)
        for code, maximum in [(self.ABS_X, self.WIDTH), (self.ABS_Y, self.HEIGHT),
                              (self.ABS_MT_SLOT, 0), (self.ABS_MT_TRACKING_ID, 65535),
                              (self.ABS_MT_POSITION_X, self.WIDTH),
                              (self.ABS_MT_POSITION_Y, self.HEIGHT)]:
            fcntl.ioctl(self.fd, self.UI_SET_ABSBIT, code)
            # struct uinput_abs_setup: code, then input_absinfo (value,
            # minimum, maximum, fuzz, flat, resolution).
            fcntl.ioctl(self.fd, self.UI_ABS_SETUP,
                        struct.pack("HxxiiiiII", code, 0, 0, maximum, 0, 0, 0))
        setup = struct.pack("HHHH80sI", 0x06, 0x1, 0x2, 1, self.NAME.encode(), 0)
        fcntl.ioctl(self.fd, self.UI_DEV_SETUP, setup)
        fcntl.ioctl(self.fd, self.UI_DEV_CREATE)

    def tap(self, fx, fy):
        """Touches at (fx, fy), fractions of the screen, and lifts the finger."""
        x, y = int(fx * self.WIDTH), int(fy * self.HEIGHT)
        for code, value in [(self.ABS_MT_SLOT, 0), (self.ABS_MT_TRACKING_ID, 1),
                            (self.ABS_MT_POSITION_X, x), (self.ABS_MT_POSITION_Y, y),
                            (self.ABS_X, x), (self.ABS_Y, y)]:
            self._event(self.EV_ABS, code, value)
        self._event(self.EV_KEY, self.BTN_TOUCH, 1)
        self._event(self.EV_SYN, 0, 0)
        time.sleep(0.1)
        self._event(self.EV_ABS, self.ABS_MT_TRACKING_ID, -1)
        self._event(self.EV_KEY, self.BTN_TOUCH, 0)
        self._event(self.EV_SYN, 0, 0)


# Linux input key codes (linux/input-event-codes.h).
KEY_ESC, KEY_BACKSPACE, KEY_LEFTCTRL, KEY_A, KEY_H, KEY_LEFTALT = 1, 14, 29, 30, 35, 56


class UinputKeyboard(UinputDevice):
    NAME = "fencecam test keyboard"

    def __init__(self, keys):
        super().__init__(self.NAME, keys=keys)

    def tap(self, key):
        self.chord(key)

    def chord(self, *keys):
        """Presses the keys in order and releases them in reverse, as a
        person types Ctrl+Alt+H."""
        for key, value in [(key, 1) for key in keys] + [(key, 0) for key in reversed(keys)]:
            self._event(self.EV_KEY, key, value)
            self._event(self.EV_SYN, 0, 0)

    # fencecam's own keys (keybindings.cpp).
    def press_hud_key(self):
        self.chord(KEY_LEFTCTRL, KEY_LEFTALT, KEY_H)

    def press_quit_key(self):
        self.chord(KEY_LEFTCTRL, KEY_LEFTALT, KEY_BACKSPACE)

    @staticmethod
    def binding_keys():
        return [KEY_LEFTCTRL, KEY_LEFTALT, KEY_H, KEY_BACKSPACE]
