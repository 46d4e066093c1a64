"""The Telegram Bot API channel: updates in, Bot API calls out."""
