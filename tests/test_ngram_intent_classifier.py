"""nlu_components/ngram_intent_classifier.py: emoji that differ only in skin tone or
presentation (variation selector) are the same emoji to the classifier. Runs in .venv-rasa,
where Rasa lives, on a toy training set with a constant stand-in for the sentence vector (what
MiniLM gives every emoji-only message: they are all [UNK] to it)."""

from __future__ import annotations

import textwrap

from tests.services import run_in_rasa_venv

CHECK = textwrap.dedent(
    """
    import tempfile
    from pathlib import Path
    import numpy as np
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from nlu_components.ngram_intent_classifier import NgramSentenceIntentClassifier as C

    def message(text, intent=None):
        m = Message.build(text=text, intent=intent)
        m.add_features(Features(np.ones((1, 4)), "sentence", "text", "test"))
        return m

    print("text", C._text(Message.build(text="OK 👍🏽 ✔️")))
    examples = [(t, "affirm") for t in ("👍🏼", "✔", "✅", "👌", "yes")]
    examples += [(t, "out_of_scope") for t in ("🎉", "🍺", "🌈", "🐶🐶", "pizza")]
    examples += [(t, "feedback_negative") for t in ("👎", "👎👎", "🙄", "😡", "rubbish")]
    data = TrainingData([message(t, i) for t, i in examples * 3])
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    resource = Resource("classifier")
    context = ExecutionContext(GraphSchema({}), "t")
    config = {**C.get_default_config(), "calibration_folds": 2}
    C.create(config, storage, resource, context).train(data)
    loaded = C.load(config, storage, resource, context)
    tests = [message(t) for t in ("👍🏻", "👍", "✔️", "👎🏾")]
    loaded.process(tests)
    print("intents", " ".join(m.get("intent")["name"] for m in tests))
    """
)


def test_skin_tones_and_variation_selectors_do_not_change_an_emoji():
    out = run_in_rasa_venv(CHECK)
    assert "text ok 👍 ✔\n" in out, out
    assert out.strip().splitlines()[-1] == "intents affirm affirm affirm feedback_negative", out


KNN_CHECK = textwrap.dedent(
    """
    import tempfile
    from pathlib import Path
    import numpy as np
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from nlu_components.ngram_intent_classifier import NgramSentenceIntentClassifier as C

    def message(text, vector, intent=None):
        m = Message.build(text=text, intent=intent)
        m.add_features(Features(np.array([vector], float), "sentence", "text", "test"))
        return m

    rng = np.random.default_rng(0)
    axes = {"affirm": 0, "deny": 1, "stop": 2}
    examples = []
    for intent, axis in axes.items():
        for i in range(6):
            vector = rng.normal(0, 0.1, 4)
            vector[axis] += 3
            examples.append(message(f"{intent} {i}", vector, intent))
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    context = ExecutionContext(GraphSchema({}), "t")
    for weight in (0.2, 0.0):
        resource = Resource(f"classifier{weight}")
        config = {**C.get_default_config(), "calibration_folds": 2, "knn_weight": weight}
        C.create(config, storage, resource, context).train(TrainingData(examples))
        loaded = C.load(config, storage, resource, context)
        if weight:
            vote = loaded._knn_vote(np.array([0.2, 0.1, 2.0, 0.0]))
            print("vote", loaded.model["clf"].classes_[vote.argmax()], round(vote.sum(), 6))
            trained = dict(loaded.model)
            # 12 identical vectors (7 of class 0, 5 of class 1) tie for the 10 nearest places:
            # all 12 vote, whatever order the memory holds them in.
            tied = np.array([[1, 0, 0, 0]] * 12 + [[0, 1, 0, 0]] * 10, np.float32)
            labels = np.array([0] * 7 + [1] * 5 + [2] * 10)
            votes = set()
            for seed in range(4):
                order = np.random.default_rng(seed).permutation(len(tied))
                loaded.model["knn_vectors"], loaded.model["knn_labels"] = tied[order], labels[order]
                votes.add(tuple(np.round(loaded._knn_vote(np.array([1.0, 0, 0, 0])), 6)))
            print("ties", len(votes), sorted(votes)[0][:2])
            loaded.model = trained
        else:
            print("no vectors", loaded.model["knn_vectors"] is None)
        test = message("something new", [0.1, 2.5, 0.2, 0.0])
        loaded.process([test])
        ranking = test.get("intent_ranking")
        total = sum(r["confidence"] for r in ranking)
        print("intent", test.get("intent")["name"], round(total, 6))
    """
)


def test_nearest_neighbour_vote_is_a_distribution_blended_into_the_ranking():
    out = run_in_rasa_venv(KNN_CHECK).strip().splitlines()
    assert out[-5:] == [
        "vote stop 1.0",
        "ties 1 (0.583333, 0.416667)",
        "intent deny 1.0",
        "no vectors True",
        "intent deny 1.0",
    ], out
