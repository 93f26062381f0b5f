"""tools/plot-sources on a made-up stats file of two sources: a series each,
numbers before and after a mark, and a PNG."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "plot-sources")
MS = 1_000_000


def frame(source, stamp_ms, present_ms):
    return {"source": source, "mode": "explicit", "ready_ns": stamp_ms * MS,
            "stamp_ns": stamp_ms * MS, "present_ns": None if present_ms is None else present_ms * MS}


class PlotSources(unittest.TestCase):
    def test_two_sources_before_and_after_a_mark(self):
        frames = []
        for i in range(100):
            t = 1000 + 16 * i
            # Left: 20 ms, then 60 ms from t = 1800; right: 10 ms throughout. The
            # mark splits by page flip: left flips by 1804 ms, then from 1860.
            frames.append(frame("client a (pid 1)", t, t + (20 if t < 1800 else 60)))
            frames.append(frame("client b (pid 2)", t, t + 10))
        frames.append(frame("client b (pid 2)", 3000, None))  # never shown: not plotted
        directory = tempfile.mkdtemp()
        stats, png = os.path.join(directory, "stats.jsonl"), os.path.join(directory, "plot.png")
        with open(stats, "w") as out:
            out.writelines(json.dumps(f) + "\n" for f in frames)
        result = subprocess.run([sys.executable, TOOL, stats, "-o", png,
                                 "--label", "client a (pid 1)=left", "--label", "client b (pid 2)=right",
                                 "--mark", f"{1830 * MS}=load"],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("left: before load: 50 frames, mean 20.00 ms, p50 20.00 ms; "
                      "after: 50 frames, mean 60.00 ms", result.stdout)
        self.assertIn("right: before load: 52 frames, mean 10.00 ms, p50 10.00 ms; "
                      "after: 48 frames, mean 10.00 ms", result.stdout)
        with open(png, "rb") as image:
            self.assertEqual(image.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
