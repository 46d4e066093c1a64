"""Complaint statuses as residents read them, for status questions and change notices."""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from .hours import say_date
from .sessions import COMPLAINT_STATUSES, Complaint

STATUS_TEXT: Final = {
    "baru": "*BARU*: sudah kami terima dan menunggu ditangani petugas",
    "diproses": "*DIPROSES*: sedang ditangani petugas",
    "selesai": "*SELESAI*: sudah ditindaklanjuti",
    "ditolak": "*DITOLAK*",
}
assert set(STATUS_TEXT) == set(COMPLAINT_STATUSES)
WIB: Final = ZoneInfo("Asia/Jakarta")


def describe(complaint: Complaint | None) -> str:
    """One line on where a complaint stands (no content, no name: only its status)."""
    if complaint is None:
        return "tidak ditemukan. Periksa kembali nomornya, atau tanyakan kepada petugas."
    text = STATUS_TEXT.get(complaint.status, complaint.status.upper())
    if complaint.status == "ditolak" and complaint.reason:
        text += f", alasan: {complaint.reason}"
    when = say_date(datetime.fromtimestamp(complaint.updated_at, WIB).date())
    return f"{text} (diperbarui {when})"


def notice(complaint: Complaint) -> str:
    """What a resident is told when an officer moves their complaint."""
    return (
        f"Kabar pengaduan Anda *{complaint.ticket}*: status sekarang "
        f"{describe(complaint)}.\nTerima kasih atas kesabaran Anda. 🙏"
    )
