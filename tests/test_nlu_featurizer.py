"""Rasa's language-model features come from the ONNX export that retrieval uses: they must be
the TensorFlow model's (what the featurizer computed before, and what the NLU figures in
docs/nlu.md were first measured on). Runs in .venv-rasa, where Rasa lives."""

from __future__ import annotations

import json
import textwrap

import numpy as np

from bot.knowledge import embed, shared
from bot.knowledge.search import expand_query
from tests.services import run_in_rasa_venv

CHECK = textwrap.dedent(
    """
    import numpy as np
    import yaml
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from nlu_components.mean_pooling_featurizer import MeanPoolingLanguageModelFeaturizer

    config = next(
        c for c in yaml.safe_load(open("config.yml"))["pipeline"]
        if c["name"].endswith("MeanPoolingLanguageModelFeaturizer")
    )
    assert config.get("onnx_model"), "config.yml does not run the featurizer on ONNX"
    context = ExecutionContext(GraphSchema({}), "check")
    base = {**MeanPoolingLanguageModelFeaturizer.get_default_config(), **config}
    del base["name"]
    onnx = MeanPoolingLanguageModelFeaturizer({**base}, context)
    tf = MeanPoolingLanguageModelFeaturizer({**base, "onnx_model": None}, context)
    assert onnx._onnx is not None and tf._onnx is None and not hasattr(onnx, "model")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    texts = ["hello", "what is cuckooing", "who do i ring out of hours?? EDT",
             "my 14yo keeps going missing, comes back with cash and new trainers " * 6]
    worst = 0.0
    for text in texts:
        features = []
        for featurizer in (onnx, tf):
            message = Message.build(text=text)
            tokenizer.process([message])
            featurizer.process([message])
            seq, sent = message.get_dense_features("text", [])
            features.append((seq.features, sent.features))
        for a, b in zip(features[0], features[1]):
            assert a.shape == b.shape, (a.shape, b.shape)
            worst = max(worst, float(np.abs(a - b).max()))
    assert worst < 1e-4, worst
    print("same", len(texts), worst)
    """
)


def test_onnx_features_are_the_tensorflow_models():
    assert "same 4" in run_in_rasa_venv(CHECK)


SETUP = textwrap.dedent(
    """
    import json, glob, re, sys
    import yaml
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from nlu_components.mean_pooling_featurizer import (
        MeanPoolingLanguageModelFeaturizer, SENTENCE_VECTOR,
    )

    config = next(
        c for c in yaml.safe_load(open("config.yml"))["pipeline"]
        if c["name"].endswith("MeanPoolingLanguageModelFeaturizer")
    )
    base = {**MeanPoolingLanguageModelFeaturizer.get_default_config(), **config}
    del base["name"]
    featurizer = MeanPoolingLanguageModelFeaturizer(base, ExecutionContext(GraphSchema({}), "t"))
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    """
)

TOKEN_IDS = SETUP + textwrap.dedent(
    """
    assert featurizer._fast is not None, "the ONNX featurizer should use the Rust tokenizer"
    texts = []
    for path in glob.glob("data/nlu/*.yml") + ["tests/nlu/dev.yml"]:
        for block in yaml.safe_load(open(path)).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                if line.startswith("- "):
                    texts.append(re.sub(r"\\[([^\\]]+)\\][({][^)}]*[)}]", r"\\1", line[2:]))
    texts += ["[CLS] hi [SEP]", "naïve café", "日本語", "emoji 😀", "tab\\there", "a\\u200bb",
              "x" * 300, "##", "a##b", "\\u0301", "ｆｕｌｌ width", "10'000.00 e.g. a@b.com"]
    different = 0
    for text in texts:
        message = Message.build(text=text)
        tokenizer.process([message])
        fast = featurizer._tokenize_example(message, "text")
        slow = super(MeanPoolingLanguageModelFeaturizer, featurizer)._tokenize_example(
            message, "text"
        )
        different += list(fast[1]) != list(slow[1]) or [t.text for t in fast[0]] != [
            t.text for t in slow[0]
        ]
    print("compared", len(texts), "different", different)
    """
)


def test_rust_tokenizer_gives_rasas_token_ids_for_all_nlu_data():
    out = run_in_rasa_venv(TOKEN_IDS)
    compared = int(out.split()[1])
    assert compared > 3000 and out.strip().endswith("different 0"), out


VECTORS = SETUP + textwrap.dedent(
    """
    from nlu_components.sentence_vector import SentenceVectorForSearch

    last = SentenceVectorForSearch(SentenceVectorForSearch.get_default_config())
    out = {}
    for text in json.loads(TEXTS):
        message = Message.build(text=text)
        tokenizer.process([message])
        featurizer.process([message])
        message.set("intent", {"name": "ask_knowledge", "confidence": 0.9})  # as classified
        last.process([message])
        out[text] = message.as_dict(only_output_properties=True).get(SENTENCE_VECTOR)
    print(json.dumps(out))
    """
)


def test_the_sentence_vector_rasa_passes_on_is_the_one_retrieval_computes(retriever):
    """The knowledge search reuses Rasa's vector (bot/knowledge/shared.py): it must equal what
    retrieval computes for the text it searches, which for a question naming an acronym is the
    question with the long form appended, and for one ending in punctuation Rasa's tokenizer
    dropped, the question as typed; Rasa must offer none when its tokenizer dropped something
    from the middle of a question that is searched as typed."""
    exact = ["hello", "what is cuckooing", "naïve café résumé", "what is cuckooing?", "help!!"]
    expanded = ["how do I make an NRM referral", "what is a LADO?", "CSE signs"]
    altered = ["e.g. child-on-child abuse", "who, me? cuckooing"]
    texts = json.dumps(exact + expanded + altered)
    out = json.loads(run_in_rasa_venv(f"TEXTS = {texts!r}\n" + VECTORS).strip().splitlines()[-1])
    for text in exact + expanded:
        searched = expand_query(text, retriever.synonyms, retriever.vocabulary)
        assert (searched != text) == (text in expanded), (text, searched)
        payload = out[text]
        assert payload is not None and payload.get("text", text) == searched, (text, payload)
        vector = shared.decode(payload)
        assert vector is not None, (text, payload)
        assert float(np.abs(vector - embed.encode([searched])).max()) < 1e-3, text
    for text in altered:
        assert out[text] is None, text
