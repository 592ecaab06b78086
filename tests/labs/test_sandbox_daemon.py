"""The dedicated sandbox daemon, as sandbox/start.sh starts it, really isolates."""

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
BUSYBOX = Path("/bin/busybox")
TAG = "estaleiro-test/busybox:latest"


def busybox_context() -> io.BytesIO:
    dockerfile = b'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "echo", "ola do sandbox"]\n'
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        tar.add(BUSYBOX, arcname="busybox")
    buf.seek(0)
    return buf


@pytest.fixture(scope="module")
def busybox_image(sandbox_docker):
    if not BUSYBOX.exists():
        pytest.skip("busybox-static is not installed")
    stream = sandbox_docker.api.build(
        fileobj=busybox_context(),
        custom_context=True,
        tag=TAG,
        decode=True,
        network_mode="none",
        rm=True,
        forcerm=True,
        pull=False,
    )
    log = list(stream)
    assert not [line for line in log if "error" in line], log
    yield TAG
    sandbox_docker.images.remove(TAG, force=True)


def test_build_from_scratch_and_run_without_network(sandbox_docker, busybox_image):
    out = sandbox_docker.containers.run(busybox_image, network_mode="none", remove=True)
    assert out.decode().strip() == "ola do sandbox"
    interfaces = sandbox_docker.containers.run(
        busybox_image, ["/bin/busybox", "cat", "/proc/net/dev"], network_mode="none", remove=True
    ).decode()
    names = {line.split(":")[0].strip() for line in interfaces.splitlines()[2:]}
    assert names == {"lo"}


def test_container_root_is_not_host_root(sandbox_docker, busybox_image):
    container = sandbox_docker.containers.run(
        busybox_image, ["/bin/busybox", "sleep", "30"], network_mode="none", detach=True
    )
    try:
        container.reload()
        inside = container.exec_run(["/bin/busybox", "id", "-u"]).output.decode().strip()
        assert inside == "0"
        host_pid = container.attrs["State"]["Pid"]
        uid_line = next(
            line for line in Path(f"/proc/{host_pid}/status").read_text().splitlines() if line.startswith("Uid:")
        )
        host_uids = {int(x) for x in uid_line.split()[1:]}
        assert 0 not in host_uids, uid_line
    finally:
        container.remove(force=True)


def test_daemon_has_no_bridge_and_remaps_users(sandbox_docker):
    info = sandbox_docker.info()
    assert any("userns" in opt for opt in info["SecurityOptions"])
    assert {n.name for n in sandbox_docker.networks.list()} <= {"none", "host"}
    assert info["CgroupDriver"] == "cgroupfs"


def test_start_script_is_idempotent(sandbox_docker):
    result = subprocess.run(["bash", str(ROOT / "sandbox/start.sh")], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "already-running"


def test_a_daemon_that_cannot_start_is_reported_in_one_sentence_first(tmp_path):
    """start.sh with a dockerd that dies at once: it says so straight away (not after the
    60 s wait), in a sentence naming the log, then quotes the daemon's own last words."""
    import os
    import shutil

    if os.geteuid() != 0:
        pytest.skip("sandbox/start.sh runs as root")
    name = f"estaleiro-t{os.getpid()}"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dockerd").write_text('#!/bin/sh\necho "failed to start daemon: pretend the disk is gone" >&2\nexit 1\n')
    (fake / "dockerd").chmod(0o755)
    state = tmp_path / "state"
    env = {
        **os.environ,
        "PATH": f"{fake}:{os.environ['PATH']}",
        "SANDBOX_STATE_DIR": str(state),
        "SANDBOX_DISK_SIZE": "64M",
    }
    try:
        result = subprocess.run(
            ["bash", str(ROOT / "sandbox/start.sh"), name], capture_output=True, text=True, env=env, timeout=50
        )
    finally:
        subprocess.run(["umount", str(state / f"{name}-docker")], capture_output=True)
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)
        for cgroup in Path("/sys/fs/cgroup").glob(f"**/{name}"):
            cgroup.rmdir()
        shutil.rmtree(f"/run/{name}", ignore_errors=True)
        Path(f"/var/log/{name}-dockerd.log").unlink(missing_ok=True)
    assert result.returncode == 1
    first, *rest = result.stderr.strip().splitlines()
    assert first == (
        f"sandbox/start.sh: dockerd exited while starting. Its log is /var/log/{name}-dockerd.log; the last lines:"
    )
    assert "    failed to start daemon: pretend the disk is gone" in rest
    assert "started" not in result.stdout
