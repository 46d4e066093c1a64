"""Free text to triggers: normalisation, slang, typos, numbers, keywords and explained ties."""

from __future__ import annotations

import pytest

from botcore.matching import Matcher, Normaliser
from botcore.spec import DialogBundle, StateRef


@pytest.fixture(scope="module")
def matcher(mini_bundle: DialogBundle) -> Matcher:
    return Matcher(mini_bundle)


def test_normaliser_handles_case_punctuation_repeats_and_slang() -> None:
    n = Normaliser({"ilang": "hilang", "e ktp": "ktp", "brp": "berapa", "makasih": "terima kasih"})
    assert n("KTP   ILANG!!!") == ("ktp", "hilang")
    assert n("e-KTP saya ilaaang") == ("ktp", "saya", "hilang")
    assert n("jam brp buka?") == ("jam", "berapa", "buka")
    assert n("makasihhh 🙏") == ("terima", "kasih")
    assert n("...") == ()


@pytest.mark.parametrize(
    ("state", "text", "target"),
    [
        ("main.menu", "1", "ktp.menu"),
        ("main.menu", "3", "main.aduan"),
        ("main.menu", "Jam layanan", "main.jam"),
        ("main.menu", "jam berapa buka", "main.jam"),
        ("main.menu", "KTP saya ilang", "ktp.hilang"),  # a shortcut beats the local 'ktp'
        ("ktp.menu", "hilang", "ktp.hilang"),  # the state's own choice wins the tie
        ("ktp.menu", "kehilangn", "ktp.hilang"),  # typo corrected
        ("main.menu", "pengadaun", "main.aduan"),
        ("main.menu", "menu", "main.menu"),
    ],
)
def test_matches(
    matcher: Matcher, mini_bundle: DialogBundle, state: str, text: str, target: str
) -> None:
    ref = StateRef(*state.split("."))
    m = matcher.match(mini_bundle.state(ref), text)
    assert m.target is not None, m.why
    assert m.target.key == target
    assert m.why  # every match explains itself


def test_tie_between_targets_is_not_guessed(matcher: Matcher, mini_bundle: DialogBundle) -> None:
    m = matcher.match(mini_bundle.state(StateRef("main", "menu")), "hilang")
    assert m.target is None
    assert {o.key for o in m.options} == {"ktp.hilang", "kk.hilang"}


@pytest.mark.parametrize("text", ["", "asdfgh", "😀", "12", "0", "pulang"])
def test_nonsense_matches_nothing(matcher: Matcher, mini_bundle: DialogBundle, text: str) -> None:
    m = matcher.match(mini_bundle.state(StateRef("main", "menu")), text)
    assert m.target is None and not m.options


def test_intents_are_found_inside_sentences(matcher: Matcher, mini_bundle: DialogBundle) -> None:
    m = matcher.match(mini_bundle.state(StateRef("ktp", "hilang")), "boleh bicara dengan orang?")
    assert m.target is not None and m.target.key == "main.petugas"
