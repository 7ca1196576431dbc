"""nlu_components/spelling.py: a mistyped word is put right before the model reads it, only when
the training data says what it was, and the text as typed is kept. Runs in .venv-rasa, where Rasa
lives: on a toy training set, then through the trained model (models/current.tar.gz)."""

from __future__ import annotations

import textwrap

import pytest

from scripts.eval_nlu import MODEL
from tests.services import run_in_rasa_venv

TOY = textwrap.dedent(
    """
    import tempfile
    from pathlib import Path
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from nlu_components.spelling import CORRECTED_TEXT, SpellingCorrector as S

    lines = ["i need help"] * 6 + ["hello"] * 2 + ["make a referral"] * 3
    lines += ["maps", "nooo", "don't"] + ["abcdefghijklmnopqrstuvwxy"] * 5
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    resource, context = Resource("spelling"), ExecutionContext(GraphSchema({}), "t")
    S.create(S.get_default_config(), storage, resource, context).train(
        TrainingData([Message.build(text=t, intent="x") for t in lines]))
    speller = S.load(S.get_default_config(), storage, resource, context)
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    for typed in ["I need hepl with a referal!", "helpp", "helo", "maths", "noooo", "dont",
                  "hello there", "/hepl", "abcdefghijklmnopqrstuvwxz"]:
        message = Message.build(text=typed)
        tokenizer.process([message])
        speller.process([message])
        tokens = " ".join(t.text for t in message.get("text_tokens"))
        corrected = message.get(CORRECTED_TEXT)
        print(f"{typed!r} text={message.get('text')!r} corrected={corrected!r} tokens={tokens!r}")
    """
)


def test_a_word_one_slip_from_a_training_word_is_put_right_and_nothing_else():
    out = run_in_rasa_venv(TOY).strip().splitlines()
    assert out[:8] == [
        "'I need hepl with a referal!' text='I need hepl with a referal!' "
        "corrected='I need help with a referral!' tokens='I need help with a referral'",
        "'helpp' text='helpp' corrected='help' tokens='help'",
        # one edit from "hello" (2 lines) and "help" (6): not three times as frequent, so left
        "'helo' text='helo' corrected=None tokens='helo'",
        # an English word, though one edit from "maps"
        "'maths' text='maths' corrected=None tokens='maths'",
        "'noooo' text='noooo' corrected=None tokens='noooo'",
        # "don't" typed without its apostrophe is a word the data knows
        "'dont' text='dont' corrected=None tokens='dont'",
        "'hello there' text='hello there' corrected=None tokens='hello there'",
        "'/hepl' text='/hepl' corrected=None tokens='hepl'",  # a button payload
    ], out
    # Words over 24 letters are not looked at (a 2,000-letter one cost 263 ms), even one slip
    # from a training word.
    assert out[8].endswith("corrected=None tokens='abcdefghijklmnopqrstuvwxz'"), out[8]


TRAINED = textwrap.dedent(
    """
    import asyncio, json
    from rasa.core.agent import load_agent
    agent = asyncio.run(load_agent(model_path="models/current.tar.gz"))
    for text in ["hepl", "help", "what is cuckooing", "what is cuckooin"]:
        parsed = asyncio.run(agent.parse_message(text))
        print(json.dumps([text, parsed["text"], parsed["intent"]["name"],
                          "sentence_vector" in parsed]))
    """
)


@pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model")
def test_the_trained_model_reads_the_corrected_word_and_keeps_the_typed_text():
    rows = [line for line in run_in_rasa_venv(TRAINED).splitlines() if line.startswith("[")]
    got = {row[0]: row[1:] for row in map(__import__("json").loads, rows)}
    assert got["hepl"][:2] == ["hepl", "help"], got
    assert got["help"][:2] == ["help", "help"], got
    # A knowledge question's vector goes to the search only when it is of the text as typed.
    assert got["what is cuckooing"] == ["what is cuckooing", "ask_knowledge", True], got
    assert got["what is cuckooin"][0] == "what is cuckooin", got
    assert got["what is cuckooin"][2] is False, got
