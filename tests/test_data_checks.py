"""The data checkers written with the NLU and redaction test sets, run as tests: no duplicate
or held-out-overlapping NLU example, and a redaction set whose planted values are real."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def test_nlu_training_and_heldout_data_are_clean():
    module = runpy.run_path(str(ROOT / "nlu" / "check_nlu_data.py"))
    assert module["main"]() == 0


def test_redaction_cases_are_consistent():
    result = subprocess.run(
        [sys.executable, str(ROOT / "redaction" / "check_cases.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout
