"""Custom Rasa 3.6 graph components (loaded by the Rasa server, in .venv-rasa, Python 3.10).

Importing the package also applies `rasa_speedups` (a cached validator for action server
replies); see that module for the measurement."""

from nlu_components import rasa_speedups  # noqa: F401
