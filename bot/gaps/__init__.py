"""Questions the bot could not answer, kept (redacted) for trainers."""
