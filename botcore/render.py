"""States and slots to channel-neutral replies, through safe templates with named values only.

A template is text with `{namespace.name}` placeholders: office facts, service fields, slots,
office hours. Substitution is one pass over the template's own text, so a resident's words
put in by `{slot.x}` are never read as a template.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

from .hours import Schedule, say_date
from .messages import Choice, Contact, Location, Reply
from .spec import TEMPLATE_RE, DialogBundle, ServiceSpec, StateRef, StateSpec
from .text import truncate
from .validators import normalise_phone

MISSING: Final = "-"
CHOICE_LABEL_MAX: Final = 24


class Renderer:
    def __init__(self, bundle: DialogBundle) -> None:
        self.bundle = bundle
        self.schedule = Schedule(bundle.schedule) if bundle.schedule else None
        self.office = bundle.office
        self.services: dict[str, dict[str, str]] = {
            sid: service_fields(s, bundle.texts.free_notice) for sid, s in bundle.services.items()
        }
        self._hours: dict[str, Callable[[datetime], str]] = {}
        self._choice_cache: dict[StateRef, tuple[Choice, ...]] = {}
        if self.schedule is not None:
            sch = self.schedule
            self._hours = {
                "status": sch.describe,
                "today": sch.describe_today,
                "weekly": sch.describe_week,
                "next_open": sch.describe_next,
            }
        lat, lon = self.office.get("location.latitude"), self.office.get("location.longitude")
        self.location = (
            Location(
                float(lat), float(lon), self.office.get("name", ""), self.office.get("address", "")
            )
            if lat and lon
            else None
        )
        self.contact = _contact(self.office)

    # -- templates ------------------------------------------------------------------------

    def fill(self, template: str, slots: Mapping[str, str], now: datetime) -> str:
        if "{" not in template and "}" not in template:
            return template

        def value(m: re.Match[str]) -> str:
            if m[0] == "{{":
                return "{"
            if m[0] == "}}":
                return "}"
            ns, _, rest = m[1].partition(".")
            if ns == "slot":
                return slots.get(rest) or MISSING
            if ns == "office":
                return self.fill(self.office.get(rest, MISSING), slots, now)
            if ns == "hours":
                fn = self._hours.get(rest)
                return fn(now) if fn else MISSING
            if ns == "service":
                sid, _, fld = rest.partition(".")
                text = self.services.get(sid, {}).get(fld, MISSING)
                return self.fill(text, slots, now)
            return MISSING  # unreachable for checked bundles

        return TEMPLATE_RE.sub(value, template)

    # -- replies --------------------------------------------------------------------------

    def state(
        self, st: StateSpec, slots: Mapping[str, str], now: datetime, before: str = ""
    ) -> list[Reply]:
        parts = [before] if before else []
        if st.say:
            parts.append(self.fill(st.say, slots, now).strip())
        if st.service:
            parts.append(self.fill(self.services[st.service]["detail"], slots, now))
        reply = Reply(
            text="\n\n".join(p for p in parts if p),
            choices=self._choices(st),
            location=self.location if st.location else None,
            contact=self.contact if st.contact else None,
        )
        return [reply]

    def _choices(self, st: StateSpec) -> tuple[Choice, ...]:
        choices = self._choice_cache.get(st.ref)
        if choices is None:
            choices = tuple(Choice(c.id, c.label, c.description) for c in st.choices)
            self._choice_cache[st.ref] = choices
        return choices

    def text(
        self,
        template: str,
        slots: Mapping[str, str],
        now: datetime,
        choices: tuple[Choice, ...] = (),
    ) -> Reply:
        return Reply(text=self.fill(template, slots, now).strip(), choices=choices)


def service_fields(s: ServiceSpec, free_notice: str) -> dict[str, str]:
    """A service's fields as texts use them ({service.id.field}); `detail` is the whole answer."""
    fields = {
        "name": s.name,
        "summary": s.summary,
        "requirements": "\n".join(f"{i}. {r.text}" for i, r in enumerate(s.requirements, 1)),
        "steps": "\n".join(f"{i}. {t}" for i, t in enumerate(s.steps, 1)),
        "duration": s.duration,
        "cost": s.cost,
        "product": s.product,
        "where": s.where,
        "notes": "\n".join(f"• {n}" for n in s.notes),
        "checked": say_date(s.checked).split(", ", 1)[1],
    }
    parts = [f"*{s.name}*"]
    if s.summary:
        parts.append(s.summary)
    parts.append(f"*Persyaratan* (bawa semuanya sekaligus):\n{fields['requirements']}")
    if s.steps:
        parts.append(f"*Langkah:*\n{fields['steps']}")
    facts = [
        f"• Tempat: {s.where}" if s.where else "",
        f"• Waktu: {s.duration}" if s.duration else "",
        f"• Hasil: {s.product}" if s.product else "",
        f"• Biaya: {s.cost}",
    ]
    parts.append("\n".join(f for f in facts if f))
    if s.notes:
        parts.append(f"*Catatan:*\n{fields['notes']}")
    if s.category == "adminduk":
        parts.append(free_notice.strip())
    parts.append(f"_Informasi diperbarui {fields['checked']}._")
    fields["detail"] = "\n\n".join(parts)
    return fields


def _contact(office: Mapping[str, str]) -> Contact | None:
    """The office's contact card, from the facts that are real: a placeholder such as
    'Belum tersedia' is text for residents to read, not a number to call."""
    phone = normalise_phone(office.get("phone", ""))
    email = office.get("email", "").strip()
    email = email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) else ""
    url = office.get("website", "") or office.get("maps_url", "")
    url = url if url.startswith(("https://", "http://")) else ""
    if not (phone or email):
        return None
    return Contact(office.get("name", ""), phone or "", email, url)


def short_label(label: str) -> str:
    """A label cut to fit a WhatsApp list row, for labels not written by an editor."""
    return truncate(label, CHOICE_LABEL_MAX)
