"""tools/bench [--seconds N] [--out DIR]     measure, in the test VM
   tools/bench --report DIR                  print the table of an earlier run

A benchmark, not a test: it prints numbers and passes no judgement on time.

In one boot of the test VM (tools/vm, with our patched videobuf2 and vivid),
the same camera (vivid, XRGB8888 640x480 at 60 fps requested) goes to the
same display (vkms, 640x480 at 60 Hz) through seven pipelines, one after the
other, each for N seconds after a warm-up:

  fencecam fence        the built-in camera, latched when the kernel's release
                        fence signals (kernel/)
  fencecam dqbuf        the built-in camera, latched when DQBUF returns
  fencecam-camera       our camera client, --sync explicit (linux-drm-syncobj),
                        committing after DQBUF (--no-ahead)
  ... ahead explicit    the same, committing ahead of completion, right after
  ... ahead implicit    QBUF (--ahead), with explicit and with implicit sync
  GStreamer             v4l2src io-mode=dmabuf ! waylandsink
  simple-dmabuf-v4l     weston-simple-dmabuf-v4l

The five clients run inside fencecam. All five are measured the same way, by
the compositor: vivid writes the time each frame completes into its first
bytes (stamp_completion_time=1, kernel/patches/0004), fencecam reads it under
--completion-stamps, and the frame's present time is its page flip. For the
built-in fence mode the fence's own signal time is recorded too and must
agree with the stamp: a fence that signalled before its frame's stamp would
mean a frame could be shown unfinished, and the benchmark fails.

A sixth run repeats the fence pipeline with direct scanout disabled
(WLR_SCENE_DISABLE_DIRECT_SCANOUT=1), so that every frame is composited: its
compositor CPU time per frame compares with the first row's. The built-in
camera runs with the pixman renderer (with direct scanout the renderer never
touches a frame; composited, pixman is what a machine without a GPU uses:
llvmpipe under TCG spends seconds JIT-compiling each shader variant). The
clients need gles2 (llvmpipe) for linux-dmabuf. Before the measured runs, an
unmeasured one warms the VM up (page cache, first camera open).

Per pipeline: frames presented and their rate, the share of a client's
frames committed before their completion stamp (ahead: most; "-" for the
built-in camera, which has no commits),
completion-to-present latency (mean, p50, p99, nearest rank), its ratio to
GStreamer's, and the compositor's CPU time (all its threads, from
/proc/PID/stat) per presented frame. Then the latency targets: built-in
camera on direct scanout, mean <= 0.6 T + 1 ms, p99 <= T + 2 ms (T = 16.7
ms), and at most half of GStreamer's.

The stats files (one JSON line a frame), fencecam's logs and bench.json stay
in DIR (default out/bench).
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
MODE = "640x480@60"
WIDTH, HEIGHT = 640, 480
REFRESH_NS = 16_700_000  # T in the latency targets
WARMUP_S = 3
VIVID_STAMP = "/sys/module/vivid/parameters/stamp_completion_time"


def pipelines(vivid):
    """(name, fencecam arguments, client command or None, renderer, extra environment)."""
    builtin = ["--camera", vivid, "--fps", "60"]
    gst_caps = f"video/x-raw,format=BGRx,width={WIDTH},height={HEIGHT},framerate=60/1"
    camera_client = os.path.join(TOP, "build", "clients", "fencecam-camera")
    return [
        ("fencecam fence", [*builtin, "--sync", "fence"], None, "pixman", {}),
        ("fencecam dqbuf", [*builtin, "--sync", "dqbuf"], None, "pixman", {}),
        ("fencecam-camera explicit", ["--no-camera"],
         [camera_client, "--camera", vivid, "--sync", "explicit", "--no-ahead"], "gles2", {}),
        ("fencecam-camera ahead explicit", ["--no-camera"],
         [camera_client, "--camera", vivid, "--sync", "explicit", "--ahead"], "gles2", {}),
        ("fencecam-camera ahead implicit", ["--no-camera"],
         [camera_client, "--camera", vivid, "--sync", "implicit", "--ahead"], "gles2", {}),
        ("GStreamer waylandsink", ["--no-camera"],
         ["gst-launch-1.0", "-q", "v4l2src", f"device={vivid}", "io-mode=dmabuf", "!",
          gst_caps, "!", "waylandsink", "fullscreen=true"], "gles2", {}),
        ("weston-simple-dmabuf-v4l", ["--no-camera"],
         ["weston-simple-dmabuf-v4l", "-v", vivid, "-f", "XR24", "-d", "XR24", "-s"], "gles2", {}),
        ("fencecam fence composited", [*builtin, "--sync", "fence"], None, "pixman",
         {"WLR_SCENE_DISABLE_DIRECT_SCANOUT": "1"}),
    ]


def slug(name):
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


# --- in the guest ------------------------------------------------------------

def cpu_seconds(pid):
    """User plus system CPU time of every thread of `pid` so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_frame_shown(stats):
    """Whether a stamped frame reached the screen yet (whole lines only)."""
    with open(stats) as lines:
        for line in lines:
            if line.endswith("\n"):
                frame = json.loads(line)
                if frame["stamp_ns"] is not None and frame["present_ns"] is not None:
                    return True
    return False


def run_pipeline(harness, name, args, client, renderer, env, seconds, out):
    """Runs one pipeline; leaves OUT/<slug>.jsonl, .log and returns its window."""
    base = os.path.join(out, slug(name))
    with tempfile.TemporaryDirectory() as scratch:
        # Stats go to tmpfs while written: the checkout is a 9p mount, and a
        # write per frame there would slow the very loop being measured.
        stats = os.path.join(scratch, "stats.jsonl")
        with harness.Compositor("--mode", MODE, "--stats", stats, "--completion-stamps", *args,
                                backend="drm", renderer=renderer, env=env,
                                log_path=base + ".log") as comp:
            if client:
                comp.start_client(*client, log_path=base + "-client.log")
            # GStreamer may first spend a minute building its plugin registry.
            deadline = time.monotonic() + 180
            while not first_frame_shown(stats):
                if time.monotonic() > deadline:
                    raise SystemExit(f"tools/bench: {name}: no camera frame on screen within "
                                     f"180 s; see {base}.log")
                time.sleep(0.5)
            time.sleep(WARMUP_S)
            window = {"start_ns": time.monotonic_ns(), "cpu_start_s": cpu_seconds(comp.process.pid)}
            time.sleep(seconds)
            window.update(end_ns=time.monotonic_ns(), cpu_end_s=cpu_seconds(comp.process.pid))
            try:
                window["exit_status"] = comp.terminate()
            except subprocess.TimeoutExpired:
                window["exit_status"] = "no exit within 20 s of SIGTERM"
        shutil.copyfile(stats, base + ".jsonl")
    return window


def guest(options):
    sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
    import harness

    vivid = os.environ.get("FENCECAM_VIVID")
    if not vivid:
        sys.exit("tools/bench: no vivid camera in this VM (run tools/bench on the host)")
    if not os.path.exists(VIVID_STAMP):
        sys.exit("tools/bench: vivid has no stamp_completion_time: boot the VM with "
                 "FENCECAM_VB2_FENCES=1 (tools/bench does)")
    with open(VIVID_STAMP, "w") as stamp:
        stamp.write("1")
    subprocess.run(["v4l2-ctl", "-d", vivid,
                    f"--set-fmt-video=width={WIDTH},height={HEIGHT},pixelformat=XR24",
                    "--set-parm=60"], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as scratch:
        run_pipeline(harness, "warm-up", *pipelines(vivid)[0][1:], 2, scratch)
    windows = {}
    for name, args, client, renderer, env in pipelines(vivid):
        print(f"bench: {name} ...", flush=True)
        windows[name] = run_pipeline(harness, name, args, client, renderer, env,
                                     options.seconds, options.out)
    with open(os.path.join(options.out, "bench.json"), "w") as out:
        json.dump({"seconds": options.seconds, "windows": windows}, out, indent=1)


# --- the report --------------------------------------------------------------

def nearest_rank(values, percent):
    values = sorted(values)
    return values[max(1, math.ceil(percent / 100 * len(values))) - 1]


def measure(path, window):
    """The numbers of one pipeline, over the frames completed in its window."""
    frames = []
    with open(path) as stats:
        for line in stats:
            frame = json.loads(line)
            stamp = frame.get("stamp_ns")
            # Only camera frames carry a stamp (not, say, waylandsink's
            # black background surface).
            if stamp is not None and window["start_ns"] <= stamp <= window["end_ns"]:
                frames.append(frame)
    shown = [f for f in frames if f["present_ns"] is not None]
    # A client's record is queued when it committed the frame.
    commits = [f for f in frames if f["mode"] not in ("fence", "dqbuf")]
    latency = [(f["present_ns"] - f["stamp_ns"]) / 1e6 for f in shown]
    seconds = (window["end_ns"] - window["start_ns"]) / 1e9
    cpu_ms = (window["cpu_end_s"] - window["cpu_start_s"]) * 1e3
    result = {
        "frames": len(frames),
        "presented": len(shown),
        "fps": len(shown) / seconds,
        "zero_copy": sum(f["zero_copy"] for f in shown) / len(shown) if shown else 0.0,
        "ahead": (sum(f["queued_ns"] < f["stamp_ns"] for f in commits) / len(commits)
                  if commits else None),
        "cpu_ms_per_frame": cpu_ms / len(shown) if shown else math.nan,
        "exit_status": window["exit_status"],
    }
    if latency:
        result.update(mean=statistics.fmean(latency), p50=nearest_rank(latency, 50),
                      p99=nearest_rank(latency, 99))
    fence = [(f["ready_ns"] - f["stamp_ns"]) / 1e6 for f in frames if f["mode"] == "fence"]
    if fence:
        result["fence_minus_stamp"] = {"min": min(fence), "p50": nearest_rank(fence, 50),
                                       "max": max(fence)}
    return result


def report(out):
    with open(os.path.join(out, "bench.json")) as bench:
        run = json.load(bench)
    results = {name: measure(os.path.join(out, slug(name) + ".jsonl"), window)
               for name, window in run["windows"].items()}

    gst = results.get("GStreamer waylandsink", {}).get("mean")
    print(f"completion (vivid's stamp) to page flip, vkms {MODE}, vivid XR24 "
          f"{WIDTH}x{HEIGHT}, {run['seconds']} s each after {WARMUP_S} s warm-up")
    header = (f"{'pipeline':<30} {'shown':>5} {'fps':>5} {'ahead':>5} {'0-copy':>6} {'mean':>7} "
              f"{'p50':>7} {'p99':>7} {'/GStr':>6} {'CPU/frame':>9}")
    print(header)
    print("-" * len(header))
    problems = []
    for name, r in results.items():
        if "mean" not in r:
            problems.append(f"{name}: no frame with a completion stamp reached the screen")
            print(f"{name:<30} {r['presented']:>5}  (nothing measured)")
            continue
        ratio = f"{r['mean'] / gst:.2f}" if gst else "-"
        ahead = "-" if r["ahead"] is None else f"{r['ahead']:.0%}"
        print(f"{name:<30} {r['presented']:>5} {r['fps']:>5.1f} {ahead:>5} {r['zero_copy']:>6.0%} "
              f"{r['mean']:>7.2f} {r['p50']:>7.2f} {r['p99']:>7.2f} {ratio:>6} "
              f"{r['cpu_ms_per_frame']:>7.2f}ms")
        if r["exit_status"] != 0:
            problems.append(f"{name}: fencecam ended badly: {r['exit_status']}")
    print("latency in ms; ahead: share of the frames committed before their completion stamp; "
          "/GStr: mean over GStreamer's mean; CPU: fencecam's, all threads")

    fence = results.get("fencecam fence", {})
    agreement = fence.get("fence_minus_stamp")
    if agreement:
        print(f"fence signal time minus stamp, fencecam fence: min {agreement['min']:+.3f} "
              f"p50 {agreement['p50']:+.3f} max {agreement['max']:+.3f} ms")
        if agreement["min"] < 0:
            problems.append("a release fence signalled before vivid stamped its frame complete")
    else:
        problems.append("fencecam fence recorded no fence timestamps")

    if "mean" in fence:
        T = REFRESH_NS / 1e6
        targets = [("mean", fence["mean"], 0.6 * T + 1), ("p99", fence["p99"], T + 2)]
        if gst:
            targets.append(("mean vs GStreamer/2", fence["mean"], gst / 2))
        for what, value, limit in targets:
            verdict = "met" if value <= limit else "missed"
            print(f"target, fencecam fence {what}: {value:.2f} <= {limit:.2f} ms: {verdict}")
        composited = results.get("fencecam fence composited", {})
        if "cpu_ms_per_frame" in composited:
            print(f"compositor CPU per frame: direct scanout {fence['cpu_ms_per_frame']:.2f} ms, "
                  f"composited {composited['cpu_ms_per_frame']:.2f} ms")
    for problem in problems:
        print(f"tools/bench: {problem}", file=sys.stderr)
    return 1 if problems else 0


# --- on the host -------------------------------------------------------------

def host(options):
    os.makedirs(options.out, exist_ok=True)
    for old in os.listdir(options.out):  # an earlier run's, never anything else
        if old == "bench.json" or old.endswith((".jsonl", ".log")):
            os.remove(os.path.join(options.out, old))
    subprocess.run([os.path.join(TOP, "tools", "build")], check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, FENCECAM_VB2_FENCES="1")
    guest_run = subprocess.run(
        [os.path.join(TOP, "tools", "vm"), "--", "python3", os.path.realpath(__file__),
         "__guest", "--seconds", str(options.seconds), "--out", options.out], env=env)
    if guest_run.returncode != 0:
        sys.exit(f"tools/bench: the VM run failed (exit {guest_run.returncode}); "
                 f"fencecam's logs are in {options.out}")
    return report(options.out)


def main():
    parser = argparse.ArgumentParser(prog="tools/bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", choices=["__guest"], help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=int, default=15, help="per pipeline (default 15)")
    parser.add_argument("--out", default=os.path.join(TOP, "out", "bench"),
                        help="where the stats files and logs go (default out/bench)")
    parser.add_argument("--report", metavar="DIR", help="only print the table of an earlier run")
    options = parser.parse_args()
    options.out = os.path.abspath(options.out)
    if options.report:
        return report(options.report)
    if options.mode == "__guest":
        return guest(options)
    return host(options)


if __name__ == "__main__":
    sys.exit(main())
