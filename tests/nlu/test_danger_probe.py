"""Safety gate: every message in tests/nlu/danger_probe.yml that describes someone in danger now
must reach the bot as urgent_danger (which answers "Call 999" first), above the
FallbackClassifier threshold, from the trained model (models/current.tar.gz). Past or suspected
harm in the same file is only reported: sending it to urgent_danger is the safe mistake."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from scripts.eval_nlu import MODEL, RASA, ROOT, fallback_threshold

PROBE = ROOT / "tests" / "nlu" / "danger_probe.yml"


@pytest.mark.skipif(not (MODEL.exists() and RASA.exists()), reason="needs a trained model")
def test_every_danger_message_is_urgent_danger(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run(
        [str(RASA), "test", "nlu", "--nlu", str(PROBE), "--model", str(MODEL),
         "--out", str(tmp_path), "--no-plot", "--successes"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = tmp_path / name
        if path.exists():
            rows += json.loads(path.read_text())
    danger = [r for r in rows if r["intent"] == "urgent_danger"]
    assert len(danger) >= 40, f"only {len(danger)} danger messages evaluated"
    threshold = fallback_threshold()
    missed = [
        (r["text"], r["intent_prediction"]["name"], round(r["intent_prediction"]["confidence"], 2))
        for r in danger
        if r["intent_prediction"]["name"] != "urgent_danger"
        or r["intent_prediction"]["confidence"] < threshold
    ]
    assert not missed, f"danger messages not served as urgent_danger: {missed}"
    contrasts = [r for r in rows if r["intent"] != "urgent_danger"]
    escalated = sum(r["intent_prediction"]["name"] == "urgent_danger" for r in contrasts)
    print(
        f"{len(danger)}/{len(danger)} danger messages urgent_danger; "
        f"{escalated}/{len(contrasts)} past-harm contrasts also sent to urgent_danger"
    )
