"""Custom Rasa 3.6 graph components (loaded by the Rasa server, in .venv-rasa, Python 3.10)."""
