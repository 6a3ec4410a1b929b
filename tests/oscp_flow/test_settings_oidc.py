"""The identity providers' setting, ``OSCP_OIDC_PROVIDERS``: a JSON list read from the
environment (or the home's settings.env), each entry checked, and a fault named by variable
without ever showing a value (a client secret is one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oscp_flow.settings import Settings, SettingsInvalid, load

SECRET = "a-client-secret-never-shown"
ENTRA = {
    "name": "oldham",
    "label": "Oldham Council (Microsoft)",
    "issuer": "https://login.microsoftonline.com/0b6a1c6e-0000-4000-8000-000000000000/v2.0",
    "client_id": "11111111-2222-3333-4444-555555555555",
    "client_secret": SECRET,
    "verified_claim": "xms_edov",
}
GOOGLE = {
    "name": "school-trust",
    "label": "Northvale Schools Trust (Google)",
    "issuer": "https://accounts.google.com",
    "client_id": "123.apps.googleusercontent.com",
    "client_secret": SECRET,
}


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OSCP_HOME", str(tmp_path))
    return tmp_path


def test_none_by_default() -> None:
    assert load(Settings).oidc_providers == []


def test_several_providers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSCP_OIDC_PROVIDERS", json.dumps([ENTRA, GOOGLE]))
    entra, google = load(Settings).oidc_providers
    assert (entra.name, entra.verified_claim) == ("oldham", "xms_edov")
    assert (google.label, google.verified_claim) == (GOOGLE["label"], "email_verified")
    assert google.client_secret.get_secret_value() == SECRET
    assert SECRET not in repr(google)


def test_from_the_homes_settings_file(home: Path) -> None:
    (home / "settings.env").write_text(f"OSCP_OIDC_PROVIDERS='{json.dumps([GOOGLE])}'\n")
    assert [p.name for p in load(Settings).oidc_providers] == ["school-trust"]


@pytest.mark.parametrize(
    "change",
    [
        {"issuer": "http://login.example.org"},  # not https, not loopback
        {"name": "Oldham Council"},  # not fit for an address
        {"label": ""},
        {"client_secret": None},
        {"colour": "blue"},  # a misspelt key is refused, not ignored
    ],
)
def test_a_faulty_entry_is_named_without_its_values(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, object]
) -> None:
    monkeypatch.setenv("OSCP_OIDC_PROVIDERS", json.dumps([{**GOOGLE, **change}]))
    with pytest.raises(SettingsInvalid) as refused:
        load(Settings)
    assert "OSCP_OIDC_PROVIDERS_0" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_two_providers_of_one_name_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "OSCP_OIDC_PROVIDERS", json.dumps([GOOGLE, {**ENTRA, "name": GOOGLE["name"]}])
    )
    with pytest.raises(SettingsInvalid, match="each provider needs a name of its own"):
        load(Settings)
