"""Load, validate and render the walkthrough flows in `knowledge/flows/*.yml`.

The Rasa forms only collect slots; which questions to ask, which answers are valid, and what
route, steps and contacts follow are all read from the flow data, so a partnership changes its
procedure by editing YAML. `validate_flows` runs at action-server start-up and in the tests.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.contacts import Contact


class FlowError(ValueError):
    pass


@dataclass(frozen=True)
class Option:
    id: str
    title: str
    synonyms: tuple[str, ...] = ()
    end: str = ""


@dataclass(frozen=True)
class Question:
    slot: str
    text: str
    options: tuple[Option, ...]
    ask_if: dict[str, str] = field(default_factory=dict)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass
class Flow:
    id: str
    form: str
    title: str
    intro: str
    intro_after_answer: str
    questions: list[Question]
    data: dict[str, Any]

    @property
    def slots(self) -> list[str]:
        return [q.slot for q in self.questions]

    def question(self, slot: str) -> Question:
        for q in self.questions:
            if q.slot == slot:
                return q
        raise KeyError(slot)

    def ending(self, values: dict[str, Any]) -> str:
        """The early ending chosen so far (e.g. immediate danger), if any."""
        for q in self.questions:
            option = q.option(str(values.get(q.slot))) if values.get(q.slot) else None
            if option and option.end:
                return option.end
        return ""

    def required_slots(self, values: dict[str, Any]) -> list[str]:
        """The questions that apply given the answers so far, in order. An answer that ends
        the walkthrough (immediate danger) is the last one: nothing after it is asked."""
        required = []
        for q in self.questions:
            if not all(str(values.get(k)) == str(v) for k, v in q.ask_if.items()):
                continue
            required.append(q.slot)
            option = q.option(str(values.get(q.slot))) if values.get(q.slot) else None
            if option and option.end:
                break
        return required

    def match(self, slot: str, text: str | None) -> str | None:
        """Map a free-text answer or a button's option id to an option id of this question."""
        if not text:
            return None
        q = self.question(slot)
        cleaned = _normalise(text)
        for option in q.options:
            if cleaned in {_normalise(option.id), _normalise(option.title)}:
                return option.id
        # Whole-phrase synonym match; the longest synonym wins ("not safe" beats "no").
        best = _longest_phrase(cleaned, ((o.id, syn) for o in q.options for syn in o.synonyms))
        # A longer synonym typed with a slip beats a shorter one typed exactly: "domestc abuse"
        # is domestic abuse, not the "abuse" inside it.
        typo = _typo_match(q.options, cleaned)
        if typo and (best is None or typo[0] > best[0]):
            return typo[1]
        return best[1] if best else None

    def stage_question(self, text: str | None) -> str | None:
        """Which field of a stage (`stage_questions` in the flow file) a typed question asks
        for: the longest phrase found in it, whole words only."""
        asked = (self.data.get("stage_questions") or {}).items()
        best = _longest_phrase(_normalise(text or ""), ((f, p) for f, ps in asked for p in ps))
        return best[1] if best else None

    def answers_first(self, text: str | None) -> bool:
        """Whether a message that starts or resumes this walkthrough asks about something the
        walkthrough only reaches at its end (`answer_first` phrases in the flow file: "the MAC
        form", "what goes in a referral"), so the knowledge base answers it first."""
        phrases = self.data.get("answer_first") or []
        return _longest_phrase(_normalise(text or ""), (("", p) for p in phrases)) is not None

    def buttons(self, slot: str) -> list[dict[str, str]]:
        return [
            {"title": o.title, "payload": f'/inform{{"choice": "{o.id}"}}'}
            for o in self.question(slot).options
        ]

    def answer_title(self, slot: str, option_id: str) -> str:
        option = self.question(slot).option(option_id)
        return option.title if option else option_id


def _longest_phrase(cleaned: str, candidates: Iterable[tuple[str, str]]) -> tuple[int, str] | None:
    """The (length, key) of the longest (key, phrase) whose phrase stands in `cleaned` as whole
    words; the first one found wins a tie."""
    best: tuple[int, str] | None = None
    for key, phrase in candidates:
        p = _normalise(phrase)
        found = p and re.search(rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])", cleaned)
        if found and (best is None or len(p) > best[0]):
            best = (len(p), key)
    return best


def _typo_match(options: list[Any], cleaned: str) -> tuple[int, str] | None:
    """A typed answer with a slip in it ("chlid", "adlut", "out of hurs"): each word of a
    synonym of four letters or more may be one edit away (a letter dropped, added, changed or two
    swapped); shorter words ("no", "yes", "dv") must be exact. The longest synonym matched wins;
    if two options tie, nothing is guessed. Returns (length of the synonym, option id)."""
    words = cleaned.split()
    found: dict[str, int] = {}
    for option in options:
        for phrase in [option.id, option.title, *option.synonyms]:
            syn = _normalise(phrase).split()
            if not syn:
                continue
            for i in range(len(words) - len(syn) + 1):
                if all(_close(w, v) for w, v in zip(words[i : i + len(syn)], syn, strict=True)):
                    found[option.id] = max(found.get(option.id, 0), len(" ".join(syn)))
    if not found:
        return None
    longest = max(found.values())
    winners = [option_id for option_id, size in found.items() if size == longest]
    return (longest, winners[0]) if len(winners) == 1 else None


def _close(word: str, target: str) -> bool:
    if word == target:
        return True
    if len(target) < 4 or abs(len(word) - len(target)) > 1:
        return False
    if len(word) == len(target):
        diff = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == target[diff[1]]
            and word[diff[1]] == target[diff[0]]
        )
    short, long_ = (word, target) if len(word) < len(target) else (target, word)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' -]", " ", text.lower())).strip()


def load_flow(path: Path) -> Flow:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FlowError(f"{path.name}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise FlowError(f"{path.name}: must be a mapping")
    for key in ("id", "form", "title", "intro", "questions"):
        if not data.get(key):
            raise FlowError(f"{path.name}: missing {key!r}")
    _check_shapes(path.name, data)
    questions = []
    for i, q in enumerate(data["questions"]):
        if not isinstance(q, dict) or not q.get("slot") or not q.get("text"):
            raise FlowError(f"{path.name}: question #{i + 1} needs 'slot' and 'text'")
        options = []
        for o in q.get("options") or []:
            if not isinstance(o, dict) or not o.get("id") or not o.get("title"):
                raise FlowError(f"{path.name}: an option of {q['slot']} needs 'id' and 'title'")
            if not isinstance(o.get("synonyms") or [], list):
                raise FlowError(f"{path.name}: synonyms of option {o['id']} must be a list")
            options.append(
                Option(
                    id=str(o["id"]),
                    title=str(o["title"]),
                    synonyms=tuple(str(s) for s in o.get("synonyms") or ()),
                    end=str(o.get("end") or ""),
                )
            )
        if len(options) < 2:
            raise FlowError(f"{path.name}: question {q['slot']} needs at least two options")
        if len({o.id for o in options}) != len(options):
            raise FlowError(f"{path.name}: question {q['slot']} has duplicate option ids")
        ask_if = q.get("ask_if") or {}
        if not isinstance(ask_if, dict):
            raise FlowError(f"{path.name}: ask_if of {q['slot']} must be a mapping")
        questions.append(
            Question(
                slot=str(q["slot"]),
                text=str(q["text"]),
                options=tuple(options),
                ask_if={str(k): str(v) for k, v in ask_if.items()},
            )
        )
    if len({q.slot for q in questions}) != len(questions):
        raise FlowError(f"{path.name}: two questions use the same slot")
    return Flow(
        id=str(data["id"]),
        form=str(data["form"]),
        title=str(data["title"]),
        intro=str(data["intro"]),
        intro_after_answer=str(data.get("intro_after_answer") or data["intro"]),
        questions=questions,
        data=data,
    )


def _check_shapes(name: str, data: dict[str, Any]) -> None:
    """The parts `validate_flows` and the renderer walk must have the shape they expect, or a
    hand edit would surface as a TypeError far from the file that caused it."""

    def kind(value: Any, expected: type, what: str) -> None:
        if value is not None and not isinstance(value, expected):
            article = "a list" if expected is list else "a mapping"
            raise FlowError(f"{name}: {what} must be {article}")

    def contact_ids(value: Any, what: str) -> None:
        kind(value, list, f"contacts of {what}")
        if any(not isinstance(c, str | int) for c in value or []):
            raise FlowError(f"{name}: contacts of {what} must be contact ids")

    def phrases(value: Any, what: str) -> None:
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise FlowError(f"{name}: {what} must be a list of phrases")

    def source(value: Any, what: str) -> None:
        kind(value, dict, what)
        if value is not None and not all(isinstance(value.get(k), str) for k in ("title", "url")):
            raise FlowError(f"{name}: {what} needs a title and a url")

    source(data.get("source"), "source")
    kind(data["questions"], list, "questions")
    for i, q in enumerate(data["questions"]):
        if isinstance(q, dict):
            kind(q.get("options"), list, f"options of question #{i + 1}")
    for key in ("endings", "category_contacts", "checklists", "feedback", "published"):
        kind(data.get(key), dict, key)
    for key in ("outcomes", "stages"):
        kind(data.get(key), list, key)
    for ending_name, ending in (data.get("endings") or {}).items():
        if not isinstance(ending, dict):
            raise FlowError(f"{name}: ending {ending_name} must be a mapping")
        contact_ids(ending.get("contacts"), f"ending {ending_name}")
    for i, outcome in enumerate(data.get("outcomes") or []):
        kind(outcome, dict, f"outcome #{i + 1}")
        if not outcome:
            raise FlowError(f"{name}: outcome #{i + 1} is empty")
        kind(outcome.get("when"), dict, f"'when' of outcome #{i + 1}")
        source(outcome.get("source"), f"'source' of outcome #{i + 1}")
        contact_ids(outcome.get("contacts"), f"outcome #{i + 1}")
    for key, ids in (data.get("category_contacts") or {}).items():
        contact_ids(ids, f"category {key}")
    for notes in ("consent_notes", "category_notes"):
        kind(data.get(notes), dict, notes)
        for key, note in (data.get(notes) or {}).items():
            texts = note.values() if isinstance(note, dict) else [note]
            if not all(isinstance(t, str) for t in texts):
                raise FlowError(f"{name}: {notes} {key} must be a text or texts by audience")
    if not isinstance(data.get("intro_after_answer", ""), str):
        raise FlowError(f"{name}: intro_after_answer must be a text")
    if data.get("answer_first") is not None:
        phrases(data["answer_first"], "answer_first")
    kind(data.get("stage_questions"), dict, "stage_questions")
    for key, listed in (data.get("stage_questions") or {}).items():
        if key not in STAGE_FIELDS:
            raise FlowError(f"{name}: stage_questions {key!r} is not one of {sorted(STAGE_FIELDS)}")
        phrases(listed, f"stage_questions {key}")
    for key, block in (data.get("feedback") or {}).items():
        kind(block, dict, f"feedback {key}")
        source(block.get("source"), f"'source' of feedback {key}")


# The fields of an escalation stage, with the labels they are shown under; a practitioner can
# ask about them mid-walkthrough (`stage_questions`).
STAGE_FIELDS = {
    "do": "What to do",
    "involve": "Who to involve",
    "record": "What to record",
    "timescale": "Timescale",
}


def load_flows(directory: Path) -> dict[str, Flow]:
    flows = {}
    for path in sorted(directory.glob("*.yml")):
        flow = load_flow(path)
        flows[flow.id] = flow
    return flows


def validate_flows(
    flows: dict[str, Flow], contacts: dict[str, Contact], domain_slots: set[str] | None = None
) -> list[str]:
    """Every problem a partnership's edit could introduce, as readable sentences."""
    problems: list[str] = []

    def check_contacts(where: str, ids: Any) -> None:
        for cid in ids or []:
            if cid not in contacts:
                problems.append(f"{where}: unknown contact id {cid!r}")

    for flow in flows.values():
        where = f"flow {flow.id}"
        if domain_slots is not None:
            for slot in flow.slots:
                if slot not in domain_slots:
                    problems.append(f"{where}: slot {slot!r} is not declared in domain.yml")
        slot_names = set(flow.slots)
        for q in flow.questions:
            for k, v in q.ask_if.items():
                if k not in slot_names:
                    problems.append(f"{where}: {q.slot} ask_if names unknown slot {k!r}")
                elif flow.question(k).option(v) is None:
                    problems.append(f"{where}: {q.slot} ask_if {k}={v!r} is not an option")
            for o in q.options:
                if o.end and o.end not in (flow.data.get("endings") or {}):
                    problems.append(f"{where}: option {o.id} ends at unknown ending {o.end!r}")
        for name, ending in (flow.data.get("endings") or {}).items():
            check_contacts(f"{where} ending {name}", ending.get("contacts"))
        for i, outcome in enumerate(flow.data.get("outcomes") or []):
            check_contacts(f"{where} outcome #{i + 1}", outcome.get("contacts"))
        for key, ids in (flow.data.get("category_contacts") or {}).items():
            check_contacts(f"{where} category {key}", ids)
        if flow.data.get("outcomes"):
            problems.extend(_unreachable_paths(flow))
        if flow.id == "escalation" and not flow.data.get("stages"):
            problems.append(f"{where}: needs at least one stage")
    return problems


def _unreachable_paths(flow: Flow) -> list[str]:
    """Every complete set of answers must lead to an outcome: no path dead-ends."""
    problems = []
    choices = [[o.id for o in q.options if not o.end] for q in flow.questions]
    for combo in itertools.product(*choices):
        values = dict(zip(flow.slots, combo, strict=True))
        asked = {s: values[s] for s in flow.required_slots(values)}
        if find_outcome(flow, asked) is None:
            problems.append(f"flow {flow.id}: no outcome for answers {asked}")
            break
    return problems


def find_outcome(flow: Flow, values: dict[str, Any]) -> dict[str, Any] | None:
    for outcome in flow.data.get("outcomes") or []:
        if all(str(values.get(k)) == str(v) for k, v in (outcome.get("when") or {}).items()):
            return outcome
    return None
