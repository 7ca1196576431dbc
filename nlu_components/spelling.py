"""Put right a mistyped word before the model reads it, when the training data says what it was.

Practitioners type on phones. One slipped letter ("hepl", "escalte", "refferal") turns a word the
classifier knows into one it has never seen, and MiniLM then places the message where misspelt
words cluster, which is where out_of_scope's keyboard mash lives: with one synthetic typo per dev
line, served macro-F1 fell from 0.949 to 0.883, almost all of it in-scope lines sent to
out_of_scope (docs/nlu.md, rounds 7 and 8).

A word is corrected only when all of these hold, so clean text is never touched:
- it is unknown: not in the training data (nor its form without an apostrophe: "dont"), not in the
  language model's vocabulary, and not in pyspellchecker's English word list, so real words
  ("maths", "nappy", "timetables") stay as typed;
- it is four to 24 letters long, and not playful repetition ("nooo", "hehe", "hahaha");
- a word of the training data is one edit away (a letter dropped, added, changed, or two swapped),
  and it is at least three times as frequent there as any other such word ("helo" is one edit from
  both "hello" and "help", so it is left alone).

Every training word is known, so training examples pass through unchanged and the component only
ever acts at prediction time. It changes the tokens the featurizer and the entity extractor read
and records the corrected text for the n-gram classifier; the message text itself, which the
conversation stores and the knowledge search reads, stays as typed. A corrected message's sentence
vector is not handed to the search (nlu_components/sentence_vector.py): it is not the vector of
the text as typed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

# The message's text with its corrections, set only when something was corrected.
CORRECTED_TEXT = "spelling_corrected_text"

LETTERS = "abcdefghijklmnopqrstuvwxyz"
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
PLAYFUL = re.compile(r"(.)\1\1|^(..)\2+.?$")


def edits1(word: str) -> set[str]:
    """Every string one edit from `word` (Norvig's spelling corrector)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = set()
    for left, right in splits:
        if right:
            out.add(left + right[1:])
            out.update(left + c + right[1:] for c in LETTERS)
        if len(right) > 1:
            out.add(left + right[1] + right[0] + right[2:])
        out.update(left + c + right for c in LETTERS)
    out.discard(word)
    return out


def typed_text(message: Message) -> str:
    """The text the featurizer and the classifier read: as typed, or with the slips put right."""
    return message.get(CORRECTED_TEXT) or message.get(TEXT) or ""


def english_words() -> set[str]:
    from spellchecker import SpellChecker

    return set(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def model_vocabulary(path: Path) -> set[str]:
    """Whole words (not word pieces, not single letters) of the language model's vocabulary."""
    if not path.exists():
        return set()
    words = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {w for w in words if w.isascii() and w.isalpha() and len(w) >= 3}


class Speller:
    def __init__(
        self,
        counts: dict[str, int],
        other_words: set[str],
        min_length: int,
        max_length: int,
        dominance: float,
    ) -> None:
        self.counts = Counter(counts)
        apostrophe_free = {w.replace("'", "") for w in counts if "'" in w}
        self.known = set(counts) | apostrophe_free | other_words
        self.min_length = min_length
        self.max_length = max_length
        self.dominance = dominance

    def word(self, word: str) -> str:
        lower = word.lower()
        if (
            not self.min_length <= len(lower) <= self.max_length
            or lower in self.known
            or not WORD.fullmatch(lower)
            or "'" in lower
            or PLAYFUL.search(lower)
        ):
            return word
        candidates = sorted(
            (c for c in edits1(lower) if c in self.counts), key=lambda c: (-self.counts[c], c)
        )
        if not candidates:
            return word
        if (
            len(candidates) > 1
            and self.counts[candidates[0]] < self.dominance * self.counts[candidates[1]]
        ):
            return word
        return candidates[0]


def word_counts(texts: list[str]) -> dict[str, int]:
    return dict(Counter(w for text in texts for w in WORD.findall(text.lower())))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SpellingCorrector(GraphComponent):
    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # max_length: every string one edit from a word is ~54 per letter, so a 2,000-letter
        # "word" (the message limit) cost 263 ms of Rasa's event loop; no real slip is that long.
        return {"min_length": 4, "max_length": 24, "dominance": 3.0, "vocabulary": None}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        counts: dict[str, int] | None = None,
    ) -> None:
        self._storage = model_storage
        self._resource = resource
        self.speller: Speller | None = None
        if counts is not None:
            other = english_words()
            if config.get("vocabulary"):
                other |= model_vocabulary(Path(config["vocabulary"]))
            self.speller = Speller(
                counts, other, config["min_length"], config["max_length"], config["dominance"]
            )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpellingCorrector:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        texts = [m.get(TEXT) or "" for m in training_data.training_examples]
        with self._storage.write_to(self._resource) as directory:
            (directory / "word_counts.json").write_text(
                json.dumps(word_counts(texts), sort_keys=True), encoding="utf-8"
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SpellingCorrector:
        with model_storage.read_from(resource) as directory:
            counts = json.loads((directory / "word_counts.json").read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, counts)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Unchanged: every word of the training data is known, so nothing in it is corrected."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        if self.speller is None:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button's payload
            pieces, last = [], 0
            for token in message.get(TOKENS_NAMES[TEXT]) or []:
                fixed = self.speller.word(token.text)
                if fixed != token.text:
                    pieces += [text[last : token.start], fixed]
                    last = token.end
                    token.text = fixed
            if pieces:
                message.set(CORRECTED_TEXT, "".join(pieces) + text[last:])
        return messages
