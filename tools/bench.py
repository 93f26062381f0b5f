"""tools/bench [--seconds N] [--out DIR] [--loaded]   measure, in the test VM
   tools/bench --report DIR                            print the table of an earlier run

A benchmark, not a test: it prints numbers and passes no judgement on time.

In one boot of the test VM (tools/vm, with our patched videobuf2 and vivid),
the same camera (vivid, XRGB8888 640x480 at 60 fps requested) goes to the
same display (vkms, 640x480 at 59.94 Hz) through seven pipelines, one after
the other, each for at least N seconds after a warm-up:

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
bytes (stamp_completion_time=1, kernel/test-aids), fencecam reads it under
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

Each row is measured over a whole number of beats of the camera's rate
against the display's (60 fps against 59.94 Hz: one beat is 16.7 s). A
frame's latency depends mostly on where it completes relative to the next
vblank, and that phase drifts through every value once a beat: a row that
measured part of a beat would report the phase it happened to start at, by
up to a frame period, not its pipeline.

Per pipeline: frames presented and their rate, the share of a client's
frames committed before their completion stamp (ahead: most; "-" for the
built-in camera, which has no commits),
completion-to-present latency (mean, p50, p99, nearest rank), its ratio to
GStreamer's, and the compositor's CPU time (all its threads, from
/proc/PID/stat) per presented frame. Then the latency targets: built-in
camera on direct scanout, mean <= 0.6 T + 1 ms, p99 <= T + 2 ms (T = 16.7
ms), and at most half of GStreamer's.

The loaded pass (--loaded): every client row once more while a CPU load runs
in the guest (stress-ng, one worker a CPU, at the clients' priority),
started once the row's first frame is on screen. A client that commits after
DQBUF must be scheduled before its frame can be shown; one that commits
ahead has committed before the frame completed, so the load should cost it
less. The report then prints, per client, how much its mean rose under load,
and checks the target: the ahead rows' rise is less than half of the
after-DQBUF fencecam-camera row's.

The stats files (one JSON line a frame), fencecam's logs and bench.json stay
in DIR (default out/bench).
"""

import argparse
import json
import math
import os
import re
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
CAMERA_FPS = 60
VIVID_STAMP = "/sys/module/vivid/parameters/stamp_completion_time"
LOADED = " loaded"  # the loaded pass's rows: the row's name and this
AFTER_DQBUF_CLIENT = "fencecam-camera explicit"
AHEAD_CLIENTS = ["fencecam-camera ahead explicit", "fencecam-camera ahead implicit"]


def pipelines(vivid):
    """(name, fencecam arguments, client command or None, renderer, extra environment)."""
    builtin = ["--camera", vivid, "--fps", str(CAMERA_FPS)]
    gst_caps = (f"video/x-raw,format=BGRx,width={WIDTH},height={HEIGHT},"
                f"framerate={CAMERA_FPS}/1")
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


def run_pipeline(harness, name, args, client, renderer, env, seconds, out, loaded=False):
    """Runs one pipeline; leaves OUT/<slug>.jsonl, .log and returns its window.
    `loaded`: with stress-ng loading every CPU from the first frame shown."""
    base = os.path.join(out, slug(name))
    # The harness keeps the stats on the guest's tmpfs while written (a write
    # per frame to the 9p checkout would slow the very loop being measured)
    # and copies them to OUT at exit.
    with harness.Compositor("--mode", MODE, "--stats", base + ".jsonl", "--completion-stamps",
                            *args, backend="drm", renderer=renderer, env=env,
                            log_path=base + ".log") as comp:
        if client:
            comp.start_client(*client, log_path=base + "-client.log")
        # GStreamer may first spend a minute building its plugin registry.
        deadline = time.monotonic() + 180
        while not first_frame_shown(comp.stats_path):
            if time.monotonic() > deadline:
                raise SystemExit(f"tools/bench: {name}: no camera frame on screen within "
                                 f"180 s; see {base}.log")
            time.sleep(0.5)
        load = None
        if loaded:
            # Default priority, as the client's: the load competes with it.
            load = subprocess.Popen(["stress-ng", "--cpu", str(os.cpu_count()), "--quiet"])
        time.sleep(WARMUP_S)
        window = {"start_ns": time.monotonic_ns(), "cpu_start_s": cpu_seconds(comp.process.pid)}
        time.sleep(seconds)
        window.update(end_ns=time.monotonic_ns(), cpu_end_s=cpu_seconds(comp.process.pid))
        if load:
            load.terminate()
            load.wait()
        try:
            window["exit_status"] = comp.terminate()
        except subprocess.TimeoutExpired:
            window["exit_status"] = "no exit within 20 s of SIGTERM"
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
                    f"--set-parm={CAMERA_FPS}"], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as scratch:
        run_pipeline(harness, "warm-up", *pipelines(vivid)[0][1:], 2, scratch)
        with open(os.path.join(scratch, "warm-up.log")) as log:
            refresh_hz = output_refresh_hz(log.read())
    beat = beat_s(CAMERA_FPS, refresh_hz)
    seconds = whole_beats(options.seconds, beat)
    print(f"bench: {seconds:.1f} s a row: {CAMERA_FPS} fps against {refresh_hz:.3f} Hz beats "
          f"every {beat:.1f} s" if beat else f"bench: {seconds} s a row", flush=True)
    windows = {}
    for name, args, client, renderer, env in pipelines(vivid):
        print(f"bench: {name} ...", flush=True)
        windows[name] = run_pipeline(harness, name, args, client, renderer, env, seconds,
                                     options.out)
    if options.loaded:
        for name, args, client, renderer, env in pipelines(vivid):
            if client:
                print(f"bench: {name} loaded ...", flush=True)
                windows[name + LOADED] = run_pipeline(harness, name + LOADED, args, client,
                                                      renderer, env, seconds, options.out,
                                                      loaded=True)
    with open(os.path.join(options.out, "bench.json"), "w") as out:
        json.dump({"seconds": seconds, "beat_s": beat, "refresh_hz": refresh_hz,
                   "windows": windows}, out, indent=1)


def output_refresh_hz(log):
    """The refresh rate fencecam's log gives for the output."""
    match = re.search(r"output \S+: \d+x\d+@([\d.]+) Hz", log)
    if not match:
        sys.exit("tools/bench: fencecam's log names no output refresh rate")
    return float(match.group(1))


def beat_s(camera_fps, refresh_hz):
    """How long the phase of frames against vblanks takes to come round;
    None if the rates are equal (the phase then stays where it started)."""
    difference = abs(camera_fps - refresh_hz)
    return 1 / difference if difference > 1e-3 else None


def whole_beats(seconds, beat):
    """At least `seconds`, in whole beats where the beat is not too long."""
    if not beat or beat > 120:
        return seconds
    return max(1, math.ceil(seconds / beat - 0.05)) * beat


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
    # The part before the compositor has the frame: where a client that
    # commits after DQBUF pays for its own scheduling.
    to_latch = [(f["latched_ns"] - f["stamp_ns"]) / 1e6 for f in shown]
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
                      p99=nearest_rank(latency, 99), latch_mean=statistics.fmean(to_latch),
                      latch_p99=nearest_rank(to_latch, 99))
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
    beat = run.get("beat_s")
    span = f"{run['seconds']} s each"
    if beat:
        beats = round(run["seconds"] / beat)
        span = (f"{run['seconds']:.1f} s each ({beats} beat{'s' * (beats != 1)} of "
                f"{CAMERA_FPS} fps against {run['refresh_hz']:.3f} Hz)")
    print(f"completion (vivid's stamp) to page flip, vkms {MODE}, vivid XR24 "
          f"{WIDTH}x{HEIGHT}, {span} after {WARMUP_S} s warm-up")
    header = (f"{'pipeline':<38} {'shown':>5} {'fps':>5} {'ahead':>5} {'0-copy':>6} {'mean':>7} "
              f"{'p50':>7} {'p99':>7} {'latch':>6} {'/GStr':>6} {'CPU/frame':>9}")
    print(header)
    print("-" * len(header))
    problems = []
    for name, r in results.items():
        if "mean" not in r:
            problems.append(f"{name}: no frame with a completion stamp reached the screen")
            print(f"{name:<38} {r['presented']:>5}  (nothing measured)")
            continue
        ratio = f"{r['mean'] / gst:.2f}" if gst else "-"
        ahead = "-" if r["ahead"] is None else f"{r['ahead']:.0%}"
        print(f"{name:<38} {r['presented']:>5} {r['fps']:>5.1f} {ahead:>5} {r['zero_copy']:>6.0%} "
              f"{r['mean']:>7.2f} {r['p50']:>7.2f} {r['p99']:>7.2f} {r['latch_mean']:>6.2f} {ratio:>6} "
              f"{r['cpu_ms_per_frame']:>7.2f}ms")
        if r["exit_status"] != 0:
            problems.append(f"{name}: fencecam ended badly: {r['exit_status']}")
    print("latency in ms; ahead: share of the frames committed before their completion stamp; "
          "latch: mean completion to latch; /GStr: mean over GStreamer's mean; "
          "CPU: fencecam's, all threads")

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
    report_load(results)
    for problem in problems:
        print(f"tools/bench: {problem}", file=sys.stderr)
    return 1 if problems else 0


def report_load(results):
    """What the CPU load cost each client row, and the ahead target."""
    rise = {name: results[name + LOADED]["mean"] - results[name]["mean"]
            for name in results
            if "mean" in results[name] and "mean" in results.get(name + LOADED, {})}
    if not rise:
        return
    print("mean rise under load: " + ", ".join(f"{name} {value:+.2f} ms"
                                               for name, value in rise.items()))
    for name in rise:
        unloaded, loaded = results[name], results[name + LOADED]
        print(f"under load, {name}: shown {unloaded['presented']} -> {loaded['presented']}, "
              f"completion to latch p99 {unloaded['latch_p99']:.2f} -> "
              f"{loaded['latch_p99']:.2f} ms")
    after = rise.get(AFTER_DQBUF_CLIENT)
    for name in AHEAD_CLIENTS:
        if name in rise and after is not None:
            verdict = "met" if rise[name] < after / 2 else "missed"
            print(f"target, {name} rise under load < half of {AFTER_DQBUF_CLIENT}'s: "
                  f"{rise[name]:+.2f} < {after / 2:+.2f} ms: {verdict}")


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
         "__guest", "--seconds", str(options.seconds), "--out", options.out,
         *(["--loaded"] if options.loaded else [])], env=env)
    if guest_run.returncode != 0:
        sys.exit(f"tools/bench: the VM run failed (exit {guest_run.returncode}); "
                 f"fencecam's logs are in {options.out}")
    return report(options.out)


def main():
    parser = argparse.ArgumentParser(prog="tools/bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", choices=["__guest"], help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=int, default=15,
                        help="per pipeline, at least (default 15: rounded up to whole beats, "
                        "one beat of 16.7 s)")
    parser.add_argument("--out", default=os.path.join(TOP, "out", "bench"),
                        help="where the stats files and logs go (default out/bench)")
    parser.add_argument("--report", metavar="DIR", help="only print the table of an earlier run")
    parser.add_argument("--loaded", action="store_true",
                        help="the loaded pass: every client row again under a CPU load "
                        "(stress-ng)")
    options = parser.parse_args()
    options.out = os.path.abspath(options.out)
    if options.report:
        return report(options.report)
    if options.mode == "__guest":
        return guest(options)
    return host(options)


if __name__ == "__main__":
    sys.exit(main())
