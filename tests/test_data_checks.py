"""The data checkers written with the NLU and redaction test sets, run as tests: no duplicate
or held-out-overlapping NLU example, and a redaction set whose planted values are real."""

from __future__ import annotations

import itertools
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


# The actions that search the knowledge base: always, or (the referral start) for a message
# that asks about the form or the referral's content (actions/common.py `answer_if_sure`).
SEARCHES = {
    "action_search_knowledge",
    "action_out_of_scope",
    "action_default_fallback",
    "action_start_referral",
}


def rules() -> list[dict]:
    import yaml

    found = []
    for path in sorted((ROOT.parent / "data" / "rules").glob("*.yml")):
        found += yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", [])
    return found


def test_every_intent_answered_by_a_search_carries_its_sentence_vector():
    """nlu_components/sentence_vector.py passes the question's vector to the knowledge search
    only for the intents config.yml lists; a rule that answers another intent with a search would
    silently embed the question twice."""
    import yaml

    repo = ROOT.parent
    searched = set()
    for rule in rules():
        for step, following in itertools.pairwise(rule.get("steps", [])):
            if "intent" in step and following.get("action") in SEARCHES:
                searched.add(step["intent"])
    config = yaml.safe_load((repo / "config.yml").read_text(encoding="utf-8"))
    component = next(c for c in config["pipeline"] if c["name"].endswith("SentenceVectorForSearch"))
    assert searched, "no rule answers with a knowledge search?"
    assert searched <= set(component["intents"]), sorted(searched - set(component["intents"]))


def test_every_intent_a_document_answers_is_one_a_rule_answers_with_a_search():
    """A document's `intents` (docs/knowledge-format.md) only matter for intents whose rules run
    the knowledge search; a misspelt or chit-chat intent there would silently do nothing."""
    from bot import resources

    searched = {
        step["intent"]
        for rule in rules()
        for step, following in itertools.pairwise(rule.get("steps", []))
        if "intent" in step and following.get("action") in SEARCHES
    }
    declared = {
        (doc_id, intent)
        for doc_id, doc in resources.get_retriever().documents.items()
        for intent in doc.intents
    }
    assert declared, "no document declares the intents it answers?"
    assert {i for _, i in declared} <= searched, sorted(d for d in declared if d[1] not in searched)


def test_every_rule_that_starts_a_walkthrough_lets_its_first_question_show_the_intro():
    """actions/walkthroughs.py shows a walkthrough's intro only when the form was started by one
    of STARTING_ACTIONS (not when it resumes after an interruption); a start rule with another
    action before the form would silently lose the intro."""
    from actions.walkthroughs import FORMS, STARTING_ACTIONS

    starters = set()
    for rule in rules():
        resumed = {c.get("active_loop") for c in rule.get("condition", [])}
        before = None  # the last intent or action step (active_loop and slot steps are events)
        for step in rule.get("steps", []):
            if step.get("action") in FORMS and step["action"] not in resumed and before:
                starters.add("action_listen" if "intent" in before else before["action"])
            if "intent" in step or "action" in step:
                before = step
    assert "action_start_referral" in starters
    assert starters <= STARTING_ACTIONS, sorted(starters - STARTING_ACTIONS)
