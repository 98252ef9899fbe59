"""Issue 13, finding 6: killed exports and splices left `.part` files beside the target and a
later successful write did not sweep them. Temporaries now carry their writer's pid: those of a
dead writer are swept when the same target is written again; a live writer's are left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from inpaint_studio import cli
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song

ROOT = Path(__file__).resolve().parents[2]

KILLED = """
import os, signal, sys
from inpaint_studio.core.atomic import atomic_path
ctx = atomic_path(sys.argv[1], suffix=".part.wav")
tmp = ctx.__enter__()
tmp.write_bytes(b"half a song" * 1000)
os.kill(os.getpid(), signal.SIGKILL)  # killed mid-write: nothing cleans up
"""

LIVE = """
import sys
from inpaint_studio.core.atomic import atomic_path
with atomic_path(sys.argv[1], suffix=".part.wav") as tmp:
    tmp.write_bytes(b"writing")
    print(tmp, flush=True)
    sys.stdin.read()  # until the test closes stdin
"""


def _parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


def test_a_splice_sweeps_what_a_killed_write_left_and_spares_a_live_one(tmp_path, capsys):
    original = tmp_path / "original.wav"
    encode_audio(synth_song(12.0, bpm=120.0, seed=2), original)
    out = tmp_path / "out" / "spliced.wav"
    out.parent.mkdir()
    for _ in range(2):
        killed = subprocess.run([sys.executable, "-c", KILLED, str(out)], cwd=ROOT,
                                capture_output=True, timeout=120)
        assert killed.returncode == -9
    # what the issue found: leftovers beside the target (the second killed write has already
    # swept the first one's)
    assert len(_parts(out.parent)) >= 1
    live = subprocess.Popen([sys.executable, "-c", LIVE, str(out)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        live_tmp = Path(live.stdout.readline().strip())
        assert live_tmp.exists()
        code = cli.main(["splice", str(original), str(original), "--no-align", "--start", "4",
                         "--end", "7", "--out", str(out), "-q"])
        assert code == 0, capsys.readouterr().err
        assert out.exists()
        assert _parts(out.parent) == [live_tmp.name]  # the killed ones are gone, not the live
    finally:
        live.stdin.close()
        live.wait(timeout=120)
    assert _parts(out.parent) == []
