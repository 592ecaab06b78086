"""Secrets on disk (var/secret_key, var/demo_accounts.json) are born 0600: there is no moment
when another user of the machine can read them, and a file that exists is never replaced."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.files import private_file_create

ROOT = Path(__file__).resolve().parents[2]


def test_the_file_is_created_with_mode_0600_even_under_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        assert private_file_create(tmp_path / "secret", b"s3cret") is True
    finally:
        os.umask(old)
    path = tmp_path / "secret"
    assert path.read_bytes() == b"s3cret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"], "a temporary file was left behind"


def test_the_file_is_never_readable_by_others_while_it_is_written(tmp_path, monkeypatch):
    """The content is written into a file that is already 0600: watch every os.write."""
    modes = []
    real_write = os.write

    def spying_write(fd, data):
        modes.append(os.fstat(fd).st_mode & 0o777)
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spying_write)
    old = os.umask(0)
    try:
        private_file_create(tmp_path / "secret", b"x" * 100_000)
    finally:
        os.umask(old)
    assert modes and set(modes) == {0o600}


def test_an_existing_file_is_not_replaced(tmp_path):
    path = tmp_path / "secret"
    path.write_text("kept")
    path.chmod(0o640)
    assert private_file_create(path, b"new") is False
    assert path.read_text() == "kept"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]


def test_concurrent_creators_agree_on_one_content(tmp_path):
    path = tmp_path / "secret"
    results = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(private_file_create(path, f"v{i}".encode())))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
    assert path.read_text() in {f"v{i}" for i in range(8)}


def settings_secret_key(var_dir: Path, umask: int = 0) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", ESTALEIRO_VAR_DIR=str(var_dir))
    code = f"import os; os.umask({umask}); import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_settings_make_the_secret_key_once_and_0600(tmp_path):
    key = settings_secret_key(tmp_path)
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert settings_secret_key(tmp_path) == key


def test_settings_keep_an_existing_secret_key(tmp_path):
    (tmp_path / "secret_key").write_text("the-operators-own-key\n")
    assert settings_secret_key(tmp_path) == "the-operators-own-key"
    assert (tmp_path / "secret_key").read_text() == "the-operators-own-key\n"


@pytest.mark.django_db
def test_the_demo_passwords_file_is_born_0600(settings, tmp_path):
    from core.services import demo_accounts_ensure

    settings.VAR_DIR = tmp_path
    old = os.umask(0)
    try:
        demo_accounts_ensure()
    finally:
        os.umask(old)
    assert (tmp_path / "demo_accounts.json").stat().st_mode & 0o777 == 0o600
