"""What a Graph API error means for delivery: retry, back off, give up, close the window."""

from __future__ import annotations

import pytest

from channels.whatsapp.client import classify


def err(code: int) -> dict[str, object]:
    return {"error": {"message": f"(#{code}) x", "code": code, "error_data": {"details": "d"}}}


@pytest.mark.parametrize("code", [130429, 131000, 131016, 131057])
def test_retryable_codes(code: int) -> None:
    result = classify(400, err(code))
    assert result.retry and result.backoff_base == 2.0 and not result.token_error


def test_pair_rate_limit_backs_off_by_powers_of_four() -> None:
    result = classify(400, err(131056))
    assert result.retry and result.backoff_base == 4.0


@pytest.mark.parametrize("code", [100, 131008, 131009, 131026, 131051])
def test_permanent_codes(code: int) -> None:
    result = classify(400, err(code))
    assert not result.retry and not result.close_window and result.code == code


def test_re_engagement_closes_the_window() -> None:
    result = classify(400, err(131047))
    assert not result.retry and result.close_window


@pytest.mark.parametrize(("status", "code"), [(401, 190), (401, 0), (401, None)])
def test_token_errors_are_not_retried_and_raise_the_alarm(status: int, code: int | None) -> None:
    result = classify(status, err(code) if code is not None else {"raw": "<html>"})
    assert result.token_error and not result.retry


def test_server_errors_without_json_are_retried() -> None:
    assert classify(502, {"raw": "<html>Bad Gateway</html>"}).retry
