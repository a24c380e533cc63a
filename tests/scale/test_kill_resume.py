"""A real kill (SIGKILL) of `osteotwin trial` mid-run: the rerun finishes only what was lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from osteotwin.scale import store
from osteotwin.scale.runner import run_trial

COLUMNS = ["estradiol@3 mo", "lumbar_spine_bmd_change_pct@6 mo",
           "total_testosterone_change_pct@6 mo"]


def test_killed_run_resumes_losing_at_most_the_chunk_in_flight(small_trial: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "killed"
    command = [sys.executable, "-c", "from osteotwin.cli import main; main()", "trial",
               str(small_trial), "--n", "400", "--chunk-size", "10", "--out", str(out),
               "--quiet", "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            if len(list(out.glob("people/arm=*/chunk-*.parquet"))) >= 3:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run finished before it could be killed"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    done_before = len(list(out.glob("people/arm=*/chunk-*.parquet")))
    assert 3 <= done_before < 80
    resumed = run_trial(small_trial, n=400, seed=0, out=out, chunk_size=10, workers=1,
                        progress=False)
    assert resumed.chunks_run == 80 - done_before  # nothing finished was redone
    fresh = run_trial(small_trial, n=400, seed=0, out=tmp_path / "fresh", chunk_size=10,
                      progress=False)
    a = store.read_people(out)[COLUMNS].to_numpy()
    b = store.read_people(fresh.out)[COLUMNS].to_numpy()
    assert a.shape == (800, 3)
    np.testing.assert_allclose(a, b, rtol=1e-12)
