"""A soak: fencecam with its built-in camera and two camera clients for
N minutes, its memory and open fds sampled from /proc; fails on growth.

Runs inside tools/vm (tools/soak starts it). fencecam on vkms with gles2
(llvmpipe: client dma-bufs need a renderer that imports them), the HUD on,
its built-in camera on one vivid instance, and two windows tiled over it:
fencecam-camera (explicit sync) on a second vivid instance and
weston-simple-dmabuf-v4l on a third, whose read-only dma-bufs fencecam must
copy to composite (tiled, they cannot be scanned out). The windows cover the
built-in camera, whose frames are latched and released all the same.

Every INTERVAL seconds, from outside fencecam: VmRSS from /proc/PID/status
and the entries of /proc/PID/fd. The verdict looks at the second half only
(the first is warm-up: llvmpipe's shader cache, wlroots' lazily made
buffers, malloc's arenas settling) and at its trend, not at single samples:
the Theil-Sen slope (the median of the slopes between every pair of
samples) ignores a few outliers from a busy host, where a least-squares line
would follow them. Growth is the slope times the half's duration; it fails
above a slack (RSS_SLACK_KIB, FD_SLACK), so that a leak of a hundred bytes a
frame shows and the noise of a loaded two-core host does not.
"""

import argparse
import itertools
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402

# 2 MiB over the second half (5 minutes of a 10-minute run: 7 KiB/s, about
# 100 bytes a frame at the ~70 frames/s of the three sources); an fd more.
RSS_SLACK_KIB = 2048
FD_SLACK = 1
CAMERA_SIZE = "640x480"
MODE = "640x480@60"


def theil_sen_slope(points):
    """Median slope between every pair of (t, value) points."""
    slopes = [(b[1] - a[1]) / (b[0] - a[0])
              for a, b in itertools.combinations(points, 2) if b[0] != a[0]]
    return statistics.median(slopes) if slopes else 0.0


def growth(samples, key):
    """(slope per minute, growth over the second half) of samples[key]."""
    half = samples[len(samples) // 2:]
    points = [(s["t"], s[key]) for s in half]
    slope = theil_sen_slope(points)  # per second
    return slope * 60, slope * (half[-1]["t"] - half[0]["t"])


def vivid_cameras(count):
    """COUNT vivid capture nodes, reloading vivid with that many instances."""
    subprocess.run(["modprobe", "-r", "vivid"], check=True, timeout=60)
    subprocess.run(["modprobe", "vivid", f"n_devs={count}",
                    "node_types=" + ",".join(["0x1"] * count)], check=True, timeout=60)
    subprocess.run(["udevadm", "settle"], check=True, timeout=60)
    nodes = {}
    for entry in os.listdir("/sys/class/video4linux"):
        with open(f"/sys/class/video4linux/{entry}/name") as name:
            match = re.fullmatch(r"vivid-(\d+)-vid-cap", name.read().strip())
        if match:
            nodes[int(match.group(1))] = "/dev/" + entry
    if len(nodes) != count:
        raise SystemExit(f"soak: vivid gave {len(nodes)} cameras, not {count}")
    width, height = CAMERA_SIZE.split("x")
    for node in nodes.values():
        subprocess.run(["v4l2-ctl", "-d", node,
                        f"--set-fmt-video=width={width},height={height},pixelformat=XR24",
                        "--set-parm=30"], check=True, timeout=20, stdout=subprocess.DEVNULL)
    return [nodes[i] for i in sorted(nodes)]


def screenshot(comp, path):
    """For a person to look at; a loaded host may make grim too slow, which
    is not what the soak judges."""
    try:
        comp.screenshot(path)
    except subprocess.TimeoutExpired:
        print(f"soak: no screenshot {path}: grim timed out", flush=True)


def sample(pid, started):
    with open(f"/proc/{pid}/status") as status:
        rss = int(re.search(r"^VmRSS:\s+(\d+) kB", status.read(), re.M).group(1))
    return {"t": time.monotonic() - started, "rss_kib": rss,
            "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=10, help="seconds between samples")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    builtin, for_client, for_weston = vivid_cameras(3)
    camera_client = os.environ.get("FENCECAM_CAMERA_CLIENT") or os.path.join(
        harness.build_dir(), "clients", "fencecam-camera")

    samples = []
    with harness.Compositor("--camera", builtin, "--mode", MODE, "--hud", backend="drm",
                            renderer="gles2",
                            log_path=os.path.join(args.out, "fencecam.log")) as comp:
        comp.wait_for_log("camera on ", timeout=90)
        clients = [
            comp.start_client(camera_client, "--camera", for_client, "--sync", "explicit",
                              log_path=os.path.join(args.out, "fencecam-camera.log")),
        ]
        comp.wait_for_count("view mapped", 1, timeout=90)
        clients.append(comp.start_client(
            "weston-simple-dmabuf-v4l", "-v", for_weston, "-f", "XR24", "-d", "XR24",
            log_path=os.path.join(args.out, "weston-simple-dmabuf-v4l.log")))
        comp.wait_for_count("view mapped", 2, timeout=90)
        screenshot(comp, os.path.join(args.out, "start.ppm"))

        started = time.monotonic()
        with open(os.path.join(args.out, "samples.csv"), "w") as csv:
            csv.write("seconds,rss_kib,fds\n")
            while True:
                for client in clients:
                    if client.poll() is not None:
                        raise SystemExit(f"soak: a client exited ({client.args[0]}, "
                                         f"status {client.returncode}): see {args.out}")
                if comp.process.poll() is not None:
                    raise SystemExit(f"soak: fencecam exited ({comp.process.returncode})")
                samples.append(sample(comp.process.pid, started))
                last = samples[-1]
                csv.write(f"{last['t']:.1f},{last['rss_kib']},{last['fds']}\n")
                csv.flush()
                print(f"soak: {last['t']:6.0f} s  RSS {last['rss_kib']} KiB  fds {last['fds']}",
                      flush=True)
                if last["t"] >= args.minutes * 60:
                    break
                time.sleep(max(0.0, started + len(samples) * args.interval - time.monotonic()))
        screenshot(comp, os.path.join(args.out, "end.ppm"))
        status = comp.terminate(timeout=60)
        log = comp.log_text()
    if status != 0:
        raise SystemExit(f"soak: fencecam exited with {status}")

    if len(samples) < 6:
        raise SystemExit("soak: too few samples to judge a trend (run longer)")
    half = samples[len(samples) // 2]
    rss_slope, rss_growth = growth(samples, "rss_kib")
    fd_slope, fd_growth = growth(samples, "fds")
    stats = re.findall(r"fencecam: (stats: .*)", log)
    print(f"soak: {len(samples)} samples over {samples[-1]['t'] / 60:.1f} min; "
          f"second half from {half['t']:.0f} s")
    print(f"soak: RSS {samples[0]['rss_kib']} KiB at start, {half['rss_kib']} at the half, "
          f"{samples[-1]['rss_kib']} at the end; second-half slope {rss_slope:+.1f} KiB/min, "
          f"growth {rss_growth:+.0f} KiB (slack {RSS_SLACK_KIB})")
    print(f"soak: fds {samples[0]['fds']} at start, {half['fds']} at the half, "
          f"{samples[-1]['fds']} at the end; second-half slope {fd_slope:+.3f}/min, "
          f"growth {fd_growth:+.1f} (slack {FD_SLACK})")
    for line in stats:
        print("soak: fencecam " + line)
    failed = []
    if rss_growth > RSS_SLACK_KIB:
        failed.append(f"RSS grew {rss_growth:.0f} KiB over the second half")
    if fd_growth > FD_SLACK:
        failed.append(f"open fds grew {fd_growth:.1f} over the second half")
    if failed:
        raise SystemExit("soak: FAILED: " + "; ".join(failed) + f" (samples: {args.out})")
    print("soak: passed")


if __name__ == "__main__":
    main()
