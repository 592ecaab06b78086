"""The sandbox client speaks TLS to a tcp:// daemon (Compose's docker:dind) as the CLI does."""

from labs.sandbox.client import _tls


def test_unix_socket_never_uses_tls(monkeypatch):
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    assert _tls("unix:///run/estaleiro/docker.sock") is False


def test_tcp_with_verify_uses_the_cert_path(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(tmp_path))
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    tls = _tls("tcp://sandbox:2376")
    assert tls.verify is True and tls.ca_cert == str(tmp_path / "ca.pem")
    assert tls.cert == (str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))


def test_tcp_without_tls_settings_is_plain_and_zero_means_off(monkeypatch):
    monkeypatch.delenv("DOCKER_CERT_PATH", raising=False)
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "0")
    assert _tls("tcp://sandbox:2375") is False
