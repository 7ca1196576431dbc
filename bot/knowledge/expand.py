"""Field terms and acronyms spelt out in a question ("LADO" -> "local authority designated
officer ..."), from the partnership's knowledge/synonyms.yml.

Kept apart from search.py, with nothing but PyYAML, because Rasa's process imports it too
(nlu_components/sentence_vector.py, Python 3.10): Rasa embeds the expanded question in the same
pass as its NLU, so the knowledge search gets a vector for the text it will actually search.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml


def load_synonyms(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k).lower(): str(v) for k, v in data.items()}


def synonym_expansions(query: str, synonyms: dict[str, str]) -> list[str]:
    """The long forms of the terms the question uses, in the synonyms file's order. Rasa runs
    this on every message, so the word-boundary regex is tried only where the term occurs."""
    lowered = query.lower()
    return [
        expansion
        for term, expansion in synonyms.items()
        if term in lowered and re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", lowered)
    ]
