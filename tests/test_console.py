"""The console command's process set-up (`auditor.console`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_PROBE = """
import sys
sys.argv = ["auditor", "--help"]
from auditor.console import main
try:
    main()
except SystemExit:
    pass
from threadpoolctl import threadpool_info
print(max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"))
"""


def _blas_threads_after_cli(env_value: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS",
                                                             "OMP_NUM_THREADS")}
    if env_value is not None:
        env["OPENBLAS_NUM_THREADS"] = env_value
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         env=env, check=True, timeout=120)
    return int(out.stdout.strip().splitlines()[-1])


def test_the_command_runs_openblas_on_one_thread():
    """The `auditor` command gives OpenBLAS one thread (its second spun beside an audit's small
    products and took a core from the encoder); it sets the variable before numpy loads."""
    assert _blas_threads_after_cli(None) == 1


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: OpenBLAS has one thread anyway")
def test_the_command_keeps_a_thread_count_the_user_set():
    assert _blas_threads_after_cli("2") == 2


def test_console_imports_no_numpy_before_setting_up():
    """Importing the entry point loads nothing that loads OpenBLAS, or the variable would come
    too late."""
    code = "import sys, auditor.console; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"
