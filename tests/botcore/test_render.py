"""Rendering: service answers are complete and say they are free; contact cards only when real."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from types import MappingProxyType

from botcore.render import Renderer
from botcore.spec import DialogBundle, StateRef
from tests.conftest import WIB

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=WIB)


def test_service_answer_is_one_complete_checklist(mini_bundle: DialogBundle) -> None:
    r = Renderer(mini_bundle)
    [reply] = r.state(mini_bundle.state(StateRef("ktp", "hilang")), {}, NOW)
    assert "1. Surat Keterangan Kehilangan dari Kepolisian\n2. Fotokopi KK 2 lembar" in reply.text
    assert "GRATIS (UU 24/2013 Pasal 79A)." in reply.text  # every adminduk answer says so
    assert "14 Juni 2025" in reply.text  # when it was last checked


def test_contact_card_only_with_a_real_number(mini_bundle: DialogBundle) -> None:
    placeholder = {**mini_bundle.office, "phone": "Belum tersedia — datang langsung"}
    assert Renderer(replace(mini_bundle, office=MappingProxyType(placeholder))).contact is None
    real = {**mini_bundle.office, "phone": "(0736) 21234", "email": "kec@example.go.id"}
    card = Renderer(replace(mini_bundle, office=MappingProxyType(real))).contact
    assert card is not None and card.phone == "+6273621234" and card.email == "kec@example.go.id"


def test_template_values_are_inserted_once(mini_bundle: DialogBundle) -> None:
    r = Renderer(mini_bundle)
    text = r.fill("{slot.isi} di {office.name} {{literal}}", {"isi": "{office.name}"}, NOW)
    assert text == "{office.name} di Kantor Uji {literal}"
    assert r.fill("{slot.kosong}", {}, NOW) == "-"
