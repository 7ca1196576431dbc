"""Hands a typed question's sentence vector to the knowledge search in the action server.

Rasa's NLU has already run all-MiniLM-L6-v2 on the message (nlu_components/
mean_pooling_featurizer.py): the same checked ONNX export, the same tokenizer and the same mean
pooling that retrieval uses. Sending that vector with the message saves the action server from
running the model on the same text again (3-5 ms of a knowledge answer on this 2-core machine,
docs/performance.md). It goes last in the pipeline because only the final intent says whether
the bot will search: for every other message the vector is dropped, so it does not swell the
stored conversation. The action server checks the model tag and token count and recomputes
whenever they do not match (bot/knowledge/shared.py).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message

from nlu_components.mean_pooling_featurizer import SENTENCE_VECTOR


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SentenceVectorForSearch(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The intents whose actions search the knowledge index (actions/knowledge.py).
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
            vector = message.get(SENTENCE_VECTOR)
            if vector is None:
                continue
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if intent in self.intents:
                message.set(SENTENCE_VECTOR, vector, add_to_output=True)
            else:
                del message.data[SENTENCE_VECTOR]
        return messages
