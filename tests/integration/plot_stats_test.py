"""tools/plot-stats on a made-up stats file: the summary's numbers and a PNG."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "plot-stats")


def frame(sequence, ready_ms, present_ms, zero_copy=True):
    ns = 1_000_000
    return {"source": "camera", "mode": "fence", "sequence": sequence, "queued_ns": 0,
            "ready_ns": ready_ms * ns, "latched_ns": ready_ms * ns + 100_000,
            "present_ns": None if present_ms is None else present_ms * ns, "zero_copy": zero_copy}


class PlotStats(unittest.TestCase):
    def run_tool(self, frames):
        directory = tempfile.mkdtemp()
        path = os.path.join(directory, "stats.jsonl")
        with open(path, "w") as stats:
            for f in frames:
                stats.write(json.dumps(f) + "\n")
        result = subprocess.run([sys.executable, TOOL, path], capture_output=True, text=True,
                                timeout=120)
        return result, os.path.join(directory, "stats.png")

    def test_summary_and_png(self):
        frames = [frame(i, 20 * i, 20 * i + 10) for i in range(1, 100)]
        frames.append(frame(100, 2000, 2020, zero_copy=False))
        frames.append(frame(101, 2020, None))
        frames.append(dict(frame(102, 2030, None), replaced=True))
        # A frame the camera failed: in the file, in no figure.
        frames.append({"source": "camera", "mode": "fence", "sequence": 0, "v4l2_sequence": 7,
                       "queued_ns": None, "ready_ns": None, "latched_ns": None,
                       "present_ns": None, "error": True})
        result, png = self.run_tool(frames)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("102 frames latched, 100 presented, 1 replaced by newer ones, 99% zero-copy",
                      result.stdout)
        self.assertIn("ready->present: mean 10.10 ms, p50 10.00 ms, p99 10.00 ms", result.stdout)
        with open(png, "rb") as image:
            self.assertEqual(image.read(8), b"\x89PNG\r\n\x1a\n")

    def test_garbage_is_one_line(self):
        directory = tempfile.mkdtemp()
        path = os.path.join(directory, "bad.jsonl")
        with open(path, "w") as stats:
            stats.write("not json\n")
        result = subprocess.run([sys.executable, TOOL, path], capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.strip().count("\n"), 0)
        self.assertIn("bad.jsonl:1: not a JSON record", result.stderr)


if __name__ == "__main__":
    unittest.main()
