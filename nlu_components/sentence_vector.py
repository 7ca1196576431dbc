"""Hands a typed question's sentence vector to the knowledge search in the action server.

Rasa's NLU has already run all-MiniLM-L6-v2 on the message (nlu_components/
mean_pooling_featurizer.py): the same checked ONNX export, the same tokenizer and the same mean
pooling that retrieval uses. Sending that vector with the message saves the action server from
running the model on the same text again (3-5 ms of a knowledge answer on this 2-core machine,
docs/performance.md). It goes last in the pipeline because only the final intent says whether
the bot will search: for every other message the vector is dropped, so it does not swell the
stored conversation. The action server checks the model tag and token count and recomputes
whenever they do not match (bot/knowledge/shared.py).

A question naming a field term or acronym ("what is a LADO") is searched with the long forms
appended (bot/knowledge/expand.py, from the partnership's knowledge/synonyms.yml). For those
the vector sent is the expanded text's, which the featurizer computed with the same model on a
second thread while its main pass ran, and the payload names that text: the action server uses
it only if its own expansion is the same string (a spelling correction it adds, or a synonyms
file changed since Rasa started, make it recompute).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.mean_pooling_featurizer import EXPANDED, SENTENCE_VECTOR


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SentenceVectorForSearch(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The intents whose actions search the knowledge index (actions/knowledge.py); config.yml
        # lists all that data/rules/ answers with a search.
        return {"intents": ["ask_knowledge", "out_of_scope", "nlu_fallback"]}

    def __init__(self, config: dict[str, Any]) -> None:
        self.intents = set(config["intents"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceVectorForSearch:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            expanded = EXPANDED.pop(message.get(TEXT) or "", None)
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) not in self.intents:
                message.data.pop(SENTENCE_VECTOR, None)
                continue
            vector = (expanded.result() if expanded else None) or message.get(SENTENCE_VECTOR)
            if vector is not None:
                message.set(SENTENCE_VECTOR, vector, add_to_output=True)
        return messages
