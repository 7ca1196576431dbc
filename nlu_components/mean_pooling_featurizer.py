"""Sentence features as sentence-transformers computes them: the mean of all token vectors.

Rasa's LanguageModelFeaturizer takes BERT's [CLS] vector as the sentence feature. The model we
use, all-MiniLM-L6-v2, was trained with mean pooling, so its [CLS] vector is a poor sentence
embedding; the mean is the one that carries meaning. Measured on the held-out NLU set
(docs/nlu.md), mean pooling is what lifts intent F1 for phrasings never seen in training.

The model reads a message as the knowledge search embeds it: with the trailing punctuation Rasa's
tokenizer drops ("what is cuckooing?"). The token features still cover Rasa's tokens only; the
sentence feature is then exactly the vector retrieval computes for the question as typed, so one
pass of the model serves both the NLU and the search.
"""

from __future__ import annotations

import base64
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import NUMBER_OF_SUB_TOKENS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import LanguageModelFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.model_data import ragged_array_to_ndarray

from bot.knowledge.expand import load_synonyms, synonym_expansions
from bot.knowledge.hashing import file_sha256
from nlu_components.spelling import CORRECTED_TEXT, typed_text

# Where the sentence vector of a typed message is kept for nlu_components/sentence_vector.py,
# which passes it on to the action server for knowledge search (bot/knowledge/shared.py).
SENTENCE_VECTOR = "sentence_vector"
# A question naming an acronym or field term ("what is a LADO") is searched with the long forms
# appended (bot/knowledge/expand.py). Its vector for the search is computed on a second thread
# while the main pass runs, and collected here, by message text, by
# nlu_components/sentence_vector.py once the intent says whether the bot will search.
EXPANDED: dict[str, Future[dict[str, Any]]] = {}
_EXPANDED_KEPT = 64  # entries nobody collected (a pipeline without sentence_vector.py) go


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MeanPoolingLanguageModelFeaturizer(LanguageModelFeaturizer):
    _graph: Any = None
    _onnx: Any = None
    _fast: Any = None  # the Rust tokenizer of the same vocabulary
    _onnx_tag = ""
    _pool: ThreadPoolExecutor | None = None
    _synonyms: dict[str, str] = {}  # noqa: RUF012 - replaced, never mutated

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # onnx_model: the checked ONNX export of the same weights that retrieval uses
        # (`python -m bot export-model`, run by the Makefile before training). When set, the
        # language model runs in ONNX Runtime and the TensorFlow model is not loaded at all.
        return {**LanguageModelFeaturizer.get_default_config(), "onnx_model": None}

    def _load_model_instance(self) -> None:
        """Trace the graph while the server loads, so the first practitioner does not wait
        for it (seconds on a busy machine, enough to hit the web app's timeout)."""
        onnx_model = self._config.get("onnx_model")
        if onnx_model:
            self._load_onnx(Path(onnx_model))
        else:
            super()._load_model_instance()
            self._fast = _fast_tokenizer(Path(self.model_weights))
        self._compute_batch_sequence_features(np.ones((1, 3), dtype=np.int32), [[101, 7592, 102]])

    def _load_onnx(self, path: Path) -> None:
        """The tokenizer as Rasa loads it; the network from the ONNX file. Per message this is
        a fixed ~3 ms where the TensorFlow graph cost 8 ms for "hello" and 17 ms for a
        ten-word question on this 2-core machine, and the server no longer holds the
        TensorFlow copy of the weights."""
        import onnxruntime
        from rasa.nlu.utils.hugging_face.registry import model_tokenizer_dict

        if not path.is_absolute():
            path = Path.cwd() / path
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: run `make train` (it exports the model with "
                "`python -m bot export-model`)"
            )
        self.tokenizer = model_tokenizer_dict[self.model_name].from_pretrained(
            self.model_weights, cache_dir=self.cache_dir
        )
        self.pad_token_id = self.tokenizer.unk_token_id
        self._fast = _fast_tokenizer(Path(self.model_weights))
        # The action server compares this with its own export's before it trusts a vector.
        self._onnx_tag = file_sha256(path)[:16]
        options = onnxruntime.SessionOptions()
        # One thread: Rasa serves one message at a time per process, next to the action
        # server and web app on the same cores.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._onnx = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        knowledge = Path(os.environ.get("KNOWLEDGE_DIR", "knowledge"))
        self._synonyms = load_synonyms(knowledge / "synonyms.yml")
        if self._fast is not None and self._synonyms:
            # ONNX Runtime releases the GIL: on an idle 2-core machine the expanded text's
            # pass (~3 ms) runs beside the main one instead of after it.
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="expanded-embedding")

    def _tokenize_example(self, message: Message, attribute: str) -> tuple[list[Token], list[int]]:
        """Rasa's own loop, with the Rust tokenizer of the same vocabulary instead of the Python
        one: the same ids (tests/test_nlu_featurizer.py checks every training example), but
        the Python tokenizer cost ~0.2 ms per word, 2 ms of a ten-word question."""
        if self._fast is None:
            return super()._tokenize_example(message, attribute)
        tokens_out: list[Token] = []
        ids_out: list[int] = []
        for token in message.get(TOKENS_NAMES[attribute]):
            encoding = self._fast.encode(token.text, add_special_tokens=False)
            if not encoding.ids:
                continue
            ids, strings = self._lm_specific_token_cleanup(encoding.ids, encoding.tokens)
            ids_out += ids
            token.set(NUMBER_OF_SUB_TOKENS, len(strings))
            tokens_out.append(token)
        return tokens_out, ids_out

    def _get_token_ids_for_batch(
        self, batch_examples: list[Message], attribute: str
    ) -> tuple[list[list[Token]], list[list[int]]]:
        batch_tokens, batch_token_ids = super()._get_token_ids_for_batch(batch_examples, attribute)
        if attribute == TEXT and self._fast is not None:
            batch_token_ids = [
                self._as_typed(typed_text(example), list(ids))[0]
                for example, ids in zip(batch_examples, batch_token_ids, strict=True)
            ]
        return batch_tokens, batch_token_ids

    def _as_typed(self, text: str, token_ids: list[int]) -> tuple[list[int], bool]:
        """The ids the model reads for a message: those of Rasa's tokens, then those of the
        trailing punctuation (or emoji) the tokenizer dropped; and whether they are exactly the
        text's own, which they are not when something was dropped mid-sentence ("e.g. ...")."""
        whole = self._fast.encode(text, add_special_tokens=False).ids
        if whole[: len(token_ids)] == token_ids:
            return list(whole), True
        return token_ids, False

    def process(self, messages: list[Message]) -> list[Message]:
        """Also keep each typed message's sentence vector, for the knowledge search to reuse
        rather than run the same model on the same text again in the action server: only when
        it is exactly the vector retrieval computes for the text as typed, and only from the
        checked ONNX export, which the vector names by the hash of its file."""
        self._start_expanded(messages)
        messages = super().process(messages)
        if self._onnx is None:
            return messages
        for message in messages:
            _, sentence = message.get_dense_features(TEXT, [])
            if sentence is None or not message.get(TOKENS_NAMES[TEXT]):
                continue
            token_ids = self._tokenize_example(message, TEXT)[1]
            ids, exact = self._as_typed(typed_text(message), token_ids)
            if exact and not message.get(CORRECTED_TEXT):
                payload = _payload(sentence.features, self._onnx_tag, len(ids) + 2)
                message.set(SENTENCE_VECTOR, payload)
        return messages

    def _start_expanded(self, messages: list[Message]) -> None:
        if self._pool is None:
            return
        for message in messages:
            text = message.get(TEXT) or ""
            extra = synonym_expansions(text, self._synonyms)
            if not extra or text.startswith("/"):
                continue
            if len(EXPANDED) >= _EXPANDED_KEPT:
                EXPANDED.clear()
            expanded = f"{text} {' '.join(extra)}"
            # Tokenised here, on the caller's thread; only the model runs on the other.
            ids = self._fast.encode(expanded).ids
            EXPANDED[text] = self._pool.submit(self._embed_ids, expanded, ids)

    def _embed_ids(self, text: str, ids: list[int]) -> dict[str, Any]:
        """`text` embedded exactly as retrieval embeds it (bot/knowledge/embed.py): the whole
        string through the model's tokenizer with [CLS] and [SEP], the mean of every position,
        L2-normalised; packed as the sentence-vector payload, naming the text. No truncation
        here: the action server refuses a vector from more tokens than retrieval reads."""
        batch = np.asarray([ids], dtype=np.int64)
        hidden = self._compute_batch_sequence_features(np.ones_like(batch), batch.tolist())
        return {**_payload(hidden[0].mean(axis=0), self._onnx_tag, len(ids)), "text": text}

    def _compute_batch_sequence_features(
        self, batch_attention_mask: np.ndarray, padded_token_ids: list[list[int]]
    ) -> np.ndarray:
        """Run the language model as one compiled TensorFlow graph, not layer by layer in
        eager mode: the same numbers (max difference ~3e-6), about ten times faster per message
        on this 2-core machine (205 ms to 20 ms under load), which is most of a Rasa turn."""
        if self._onnx is not None:
            ids = np.asarray(padded_token_ids, dtype=np.int64)
            return self._onnx.run(
                None,
                {
                    "input_ids": ids,
                    "attention_mask": np.asarray(batch_attention_mask, dtype=np.int64),
                    "token_type_ids": np.zeros_like(ids),
                },
            )[0]
        if self._graph is None:
            spec = tf.TensorSpec([None, None], tf.int32)
            model = self.model

            @tf.function(input_signature=[spec, spec])
            def hidden_states(token_ids: tf.Tensor, attention_mask: tf.Tensor) -> tf.Tensor:
                return model(token_ids, attention_mask=attention_mask)[0]

            self._graph = hidden_states
        return self._graph(
            tf.convert_to_tensor(padded_token_ids, dtype=tf.int32),
            tf.convert_to_tensor(batch_attention_mask, dtype=tf.int32),
        ).numpy()

    def _post_process_sequence_embeddings(
        self, sequence_embeddings: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        sentences = []
        tokens = []
        for example in sequence_embeddings:
            # `example` holds [CLS] ... [SEP] without padding; sentence-transformers averages
            # every position the attention mask covers, special tokens included.
            mean = example.mean(axis=0)
            sentences.append(mean / (np.linalg.norm(mean) + 1e-12))
            tokens.append(example[1:-1])
        return np.array(sentences), ragged_array_to_ndarray(tokens)


def _fast_tokenizer(model_dir: Path) -> Any:
    """The model's tokenizer.json as the `tokenizers` library loads it, one word at a time:
    its own truncation and padding settings (128, fixed) are for batches and are switched off."""
    from tokenizers import Tokenizer

    path = model_dir / "tokenizer.json"
    if not path.exists():
        return None
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def _payload(vector: Any, tag: str, n_tokens: int) -> dict[str, Any]:
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    vector = vector / (np.linalg.norm(vector) + 1e-12)
    return {
        "model": tag,
        "tokens": n_tokens,
        "f16": base64.b64encode(vector.astype("<f2").tobytes()).decode("ascii"),
    }
