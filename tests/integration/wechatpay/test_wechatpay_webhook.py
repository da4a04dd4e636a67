"""The WeChat Pay webhook when WeChat Pay is not the configured provider."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_the_webhook_is_404_unless_wechatpay_is_configured(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/payments/wechatpay/webhook", data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
