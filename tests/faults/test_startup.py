"""The action server refuses to start on an index it cannot trust, and says how to fix it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from tests.services import ROOT


def start_action_server(index_dir, tmp_path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "INDEX_DIR": str(index_dir),
        "VAR_DIR": str(tmp_path / "var"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
        "ACTION_PORT": "19155",
    }
    return subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "actions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_missing_index_names_the_fix(tmp_path):
    result = start_action_server(tmp_path / "no-index", tmp_path)
    assert result.returncode == 2
    assert "No knowledge index" in result.stderr and "make index" in result.stderr


def test_index_built_with_another_model_names_the_fix(tmp_path):
    index = tmp_path / "index"
    shutil.copytree(ROOT / "var" / "index", index)
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["model_hash"] = "0" * 64
    (index / "manifest.json").write_text(json.dumps(manifest))
    result = start_action_server(index, tmp_path)
    assert result.returncode == 2
    assert "another embedding model" in result.stderr and "make index" in result.stderr
