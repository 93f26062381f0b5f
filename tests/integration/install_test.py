"""`meson install` into a DESTDIR puts in place what a packager ships: the
binaries, the man pages, the session entry display managers list, the
example kiosk unit and the stats plotter."""

import configparser
import os
import shutil
import subprocess
import tempfile
import unittest


class Install(unittest.TestCase):
    def test_destdir_install(self):
        build = os.environ["FENCECAM_BUILD_DIR"]
        destdir = tempfile.mkdtemp(prefix="fencecam-destdir-")
        try:
            subprocess.run([shutil.which("meson"), "install", "-C", build, "--no-rebuild",
                            "--quiet", "--destdir", destdir], check=True, timeout=120,
                           capture_output=True)

            def installed(directory, name):
                # Directories are absolute (the prefix joined in); DESTDIR
                # goes in front of them.
                return os.path.join(destdir + os.environ[directory], name)

            for binary in ["fencecam", "fencecam-camera", "fencecam-plot-stats"]:
                self.assertTrue(os.access(installed("INSTALL_BINDIR", binary), os.X_OK), binary)
            session = configparser.ConfigParser(interpolation=None)
            self.assertTrue(session.read(installed("INSTALL_SESSIONSDIR", "fencecam.desktop")))
            self.assertEqual(session["Desktop Entry"]["Exec"], "fencecam")
            self.assertEqual(session["Desktop Entry"]["Type"], "Application")
            with open(installed("INSTALL_EXAMPLESDIR", "fencecam@.service")) as unit:
                self.assertIn("ExecStart=", unit.read())
            if os.environ["MAN_PAGES"] == "true":
                for page in ["fencecam.1", "fencecam-camera.1"]:
                    with open(installed("INSTALL_MAN1DIR", page)) as man:
                        text = man.read()
                    # scdoc's roff: a title line, and the pages' own words.
                    self.assertIn(".TH", text)
                    self.assertIn("Ctrl+Alt+BackSpace" if page == "fencecam.1" else "--ahead",
                                  text.replace("\\-", "-"))
        finally:
            shutil.rmtree(destdir)


if __name__ == "__main__":
    unittest.main()
