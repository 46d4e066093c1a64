"""Settings from the environment, and from a `.env` file in the working directory if present."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from botcore.sessions import DEFAULT_STORE


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and '#' comments ignored; quotes around values removed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass(frozen=True, slots=True)
class Settings:
    store: str = DEFAULT_STORE
    dialogs: str = "dialogs"
    whatsapp_verify_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_access_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_api_base: str = "https://graph.facebook.com/v23.0"
    telegram_bot_token: str = ""
    telegram_api_base: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: str = ""
    inbox_token: str = ""
    retry_scale: float = 1.0  # multiplies delivery back-off delays; tests make it small
    reload: bool = True  # watch the dialogs folder and swap in checked edits

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: Path = Path(".env")
    ) -> Settings:
        # The real environment wins over .env, as with docker and systemd.
        env = {**read_env_file(env_file), **(os.environ if environ is None else environ)}
        defaults = cls()
        return cls(
            store=env.get("LOKET_STORE") or defaults.store,
            dialogs=env.get("LOKET_DIALOGS") or defaults.dialogs,
            whatsapp_verify_token=env.get("WHATSAPP_VERIFY_TOKEN", ""),
            whatsapp_app_secret=env.get("WHATSAPP_APP_SECRET", ""),
            whatsapp_access_token=env.get("WHATSAPP_ACCESS_TOKEN", ""),
            whatsapp_phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
            whatsapp_api_base=(env.get("WHATSAPP_API_BASE") or defaults.whatsapp_api_base).rstrip(
                "/"
            ),
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", ""),
            telegram_api_base=env.get("TELEGRAM_API_BASE") or defaults.telegram_api_base,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
            inbox_token=env.get("LOKET_INBOX_TOKEN", ""),
            retry_scale=float(env.get("LOKET_RETRY_SCALE") or 1.0),
            reload=(env.get("LOKET_RELOAD") or "1").strip().lower() not in ("0", "no", "false"),
        )

    def __repr__(self) -> str:  # secrets never reach a log line through repr()
        return f"Settings(store={self.store!r}, dialogs={self.dialogs!r})"
