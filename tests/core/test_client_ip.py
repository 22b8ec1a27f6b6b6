"""The audit log's client address: X-Forwarded-For only from trusted proxies, read from the right."""

from django.test import RequestFactory

from dangjian.core.requestcontext import client_ip


def test_untrusted_peer_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "203.0.113.9"


def test_trusted_proxy_chain_is_read_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2", "10.0.0.3"]
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7, 10.0.0.3")
    assert client_ip(request) == "198.51.100.7"  # 6.6.6.6 was sent by the client itself


def test_api_json_keeps_chinese_characters(client, db):
    response = client.get("/api/v1/dues/calculate", {"income": "-1"})
    assert "不能".encode() in response.content or b"negative" in response.content
    assert b"\\u" not in response.content
