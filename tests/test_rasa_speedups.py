"""The patched action-reply validation in the Rasa server (nlu_components/rasa_speedups.py)
accepts and rejects exactly what Rasa's own does. Runs in .venv-rasa, where Rasa lives."""

from __future__ import annotations

import subprocess
import textwrap

from tests.services import ROOT

CHECK = textwrap.dedent(
    """
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    original = RemoteAction._validate_action_result
    import nlu_components
    from nlu_components import rasa_speedups
    assert rasa_speedups.APPLIED
    assert RemoteAction._validate_action_result is not original
    action = RemoteAction("action_x", None)
    samples = [
        {"events": [], "responses": []},
        {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "hi"}]},
        {"events": [{"event": "not_an_event"}], "responses": []},
        {"events": "nope"},
        {"responses": [1, 2]},
        {"events": [{"event": "bot", "text": None}]},
    ]
    for sample in samples:
        outcomes = []
        for fn in (original, RemoteAction._validate_action_result):
            try:
                outcomes.append(("ok", fn(action, sample)))
            except ValidationError as e:
                outcomes.append(("invalid", e.message))
        assert outcomes[0] == outcomes[1], (sample, outcomes)
    print("same", len(samples))
    """
)


def test_patched_validation_matches_rasas_own():
    result = subprocess.run(
        [str(ROOT / ".venv-rasa/bin/python"), "-c", CHECK],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "same 6" in result.stdout
