"""Rasa's language-model features come from the ONNX export that retrieval uses: they must be
the TensorFlow model's (what the featurizer computed before, and what the NLU figures in
docs/nlu.md were first measured on). Runs in .venv-rasa, where Rasa lives."""

from __future__ import annotations

import textwrap

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
