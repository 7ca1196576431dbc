"""Rasa custom actions. Thin: the work is done in `bot/`."""
