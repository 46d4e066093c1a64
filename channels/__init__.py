"""Channels carry messages between residents and the engine: console, WhatsApp, Telegram."""
