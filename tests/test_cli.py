"""The command line as a whole: a reader that stops early is not an error."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_output_piped_into_a_reader_that_stops_early():
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    writer = subprocess.run(
        [sys.executable, "-m", "synthesis", "evidence", "--format", "csv"],
        cwd=ROOT, stdout=reader.stdin, stderr=subprocess.PIPE, text=True, check=False,
    )
    reader.stdin.close()
    reader.wait()
    assert "Traceback" not in writer.stderr
    assert writer.returncode == 0
