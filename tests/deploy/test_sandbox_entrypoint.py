"""deploy/sandbox-entrypoint.sh, run against a scratch directory with stand-ins for the tools.

The real script runs as root in docker:dind, which cannot be started here. With
ESTALEIRO_SANDBOX_ROOT pointing at a scratch directory and stubs first on PATH for mount,
mkfs.ext4, e2fsck, mountpoint, dind's entry point and dockerd, the test follows both of
its roles and the order of what it does: the loop-mounted data-root before dind's scripts,
the static busybox after them, and dockerd started with the data-root and Compose's flags.
"""

import os
import stat
import subprocess

import pytest

from .project import SANDBOX_ENTRYPOINT, command_of_sandbox

# Only a shell that looks commands up on PATH: Debian's busybox sh prefers its own applets,
# so under it the stubs would be bypassed and the real mount would run. Busybox (the shell
# of docker:dind) only checks the syntax, in test_the_script_parses.
SHELLS = [["/bin/sh"]]

RECORD = '#!/bin/sh\necho "{name} $*" >> "$CALLS"\n'
STUBS = {
    "mount": RECORD.format(name="mount"),
    "mountpoint": RECORD.format(name="mountpoint") + "exit 1\n",
    "mkfs.ext4": RECORD.format(name="mkfs.ext4"),
    "e2fsck": RECORD.format(name="e2fsck"),
    # dind's entry point: adds the TLS flags, then runs "dockerd" found on PATH.
    "dockerd-entrypoint.sh": RECORD.format(name="dockerd-entrypoint.sh")
    + 'exec dockerd --host=tcp://0.0.0.0:2376 --tlsverify "$@"\n',
}


def executable(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def sandbox_root(tmp_path):
    root = tmp_path / "root"
    executable(root / "estaleiro/probe/busybox", "#!/bin/sh\nexit 0\n")
    (root / "var/lib/docker").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "bin/busybox").write_text("alpine's busybox")
    executable(root / "usr/local/bin/dockerd", RECORD.format(name="real-dockerd"))
    for name, text in STUBS.items():
        executable(tmp_path / "stubs" / name, text)
    return root


def run(shell, root, *, disk_size="1M", args=("--userns-remap=default", "--bridge=none")):
    calls = root.parent / "calls"
    env = {
        "PATH": f"{root.parent / 'stubs'}:/usr/bin:/bin",
        "ESTALEIRO_SANDBOX_ROOT": str(root),
        "SANDBOX_DISK_SIZE": disk_size,
        "CALLS": str(calls),
    }
    done = subprocess.run([*shell, str(SANDBOX_ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=30)
    lines = calls.read_text().splitlines() if calls.exists() else []
    calls.unlink(missing_ok=True)
    return done, lines


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: " ".join(s))
def test_first_start_makes_the_disk_then_dind_then_busybox_then_dockerd(shell, sandbox_root):
    done, calls = run(shell, sandbox_root)
    assert done.returncode == 0, done.stderr
    image = sandbox_root / "var/lib/docker/estaleiro-sandbox.img"
    data_root = sandbox_root / "var/lib/estaleiro-docker"
    assert image.is_file() and image.stat().st_size == 1024 * 1024
    names = [line.split()[0] for line in calls]
    assert names == ["mkfs.ext4", "mountpoint", "mount", "dockerd-entrypoint.sh", "mount", "real-dockerd"], calls
    assert calls[2] == f"mount -o loop,noatime {image} {data_root}"
    assert calls[3] == "dockerd-entrypoint.sh --userns-remap=default --bridge=none"
    assert calls[4] == f"mount -o bind {sandbox_root}/estaleiro/probe/busybox {sandbox_root}/bin/busybox"
    assert calls[5] == (
        f"real-dockerd --data-root {data_root} --host=tcp://0.0.0.0:2376 --tlsverify "
        "--userns-remap=default --bridge=none"
    )


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: " ".join(s))
def test_a_restart_checks_the_existing_disk_instead_of_making_one(shell, sandbox_root):
    run(shell, sandbox_root)
    done, calls = run(shell, sandbox_root)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in calls][:1] == ["e2fsck"] and not any(c.startswith("mkfs") for c in calls)


def test_no_cap_keeps_the_data_root_on_the_volume(sandbox_root):
    done, calls = run(SHELLS[0], sandbox_root, disk_size="0")
    assert done.returncode == 0, done.stderr
    assert "no disk cap" in done.stderr
    assert [line.split()[0] for line in calls] == ["dockerd-entrypoint.sh", "mount", "real-dockerd"]
    assert calls[-1].startswith(f"real-dockerd --data-root {sandbox_root}/var/lib/docker ")


def test_a_missing_probe_stops_the_sandbox_with_the_reason(sandbox_root):
    (sandbox_root / "estaleiro/probe/busybox").unlink()
    done, calls = run(SHELLS[0], sandbox_root)
    assert done.returncode != 0 and "sandbox-probe" in done.stderr and calls == []


def test_a_probe_that_does_not_run_here_is_refused(sandbox_root):
    executable(sandbox_root / "estaleiro/probe/busybox", "#!/bin/sh\nexit 127\n")
    done, calls = run(SHELLS[0], sandbox_root)
    assert done.returncode != 0 and "static busybox" in done.stderr and calls == []


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/busybox"])
def test_the_script_parses(shell):
    if not os.path.exists(shell):
        pytest.skip(f"{shell} is not installed")
    argv = [shell, "-n"] if shell == "/bin/sh" else [shell, "sh", "-n"]
    done = subprocess.run([*argv, str(SANDBOX_ENTRYPOINT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_compose_passes_only_flags_so_dind_sets_up_tls():
    # dind's entry point adds --tlsverify and port 2376 only when its first argument is a flag.
    assert all(arg.startswith("--") for arg in command_of_sandbox())
