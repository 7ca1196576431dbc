"""A file's SHA-256, standard library only, because Rasa's process (Python 3.10, without this
package's dependencies) needs it too: the index checks the weights it was built with
(bot/knowledge/embed.py), and Rasa tags the sentence vectors it passes on with the ONNX export it
runs, which the action server compares with its own (nlu_components/mean_pooling_featurizer.py,
bot/knowledge/shared.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
