"""Chat API: the only door from the internet to the bot. Validates, proxies to Rasa, and always
answers with the emergency and Front Door numbers when something is wrong."""

from web.chat.routes import bp

__all__ = ["bp"]
