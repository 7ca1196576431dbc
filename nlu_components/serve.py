"""`python -m nlu_components.serve run ...` is `rasa run ...` with JSON-line logs (bot/logs.py).

Rasa 3.6 can read a logging config file, but then installs `coloredlogs` on the root logger,
which replaces any handler writing to stdout or stderr with its own plain-text one, and its
Sanic app configures Sanic's loggers as plain text too. Here the JSON handler is set up first,
the coloured console handler is not installed, Sanic's default logging config is ours, and
structlog renders JSON even on a terminal. Everything else is Rasa's own command line.

TensorFlow's C++ start-up notes (CUDA, oneDNN, TensorRT) bypass Python logging; the Procfile
sets TF_CPP_MIN_LOG_LEVEL=2 so only its errors are printed. (Here would be too late: importing
this package's components has imported TensorFlow already.)
"""

from __future__ import annotations

import sys

import rasa.utils.io
import rasa.utils.log_utils

from bot import logs


def main() -> None:
    logs.configure("rasa")
    logs.use_for_sanic("rasa")
    rasa.utils.io.configure_colored_logging = lambda loglevel: None  # type: ignore[assignment]
    rasa.utils.log_utils.FORCE_JSON_LOGGING = "1"  # type: ignore[assignment]
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
