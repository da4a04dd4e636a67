"""Device secrets are typed or pasted on command lines: none begins with "-"."""

from kiosk_api.kiosks import service


def test_a_secret_that_would_read_as_an_option_is_drawn_again(monkeypatch) -> None:
    draws = iter(["-looks-like-an-option", "Zs3cr3t"])
    monkeypatch.setattr(service.secrets, "token_urlsafe", lambda _n: next(draws))
    assert service._new_secret() == "Zs3cr3t"
