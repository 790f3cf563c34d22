"""The container image (Containerfile) built with Debian's buildah from the package `make deb` made, on a Debian 12
base made from Debian's packages (no registry is needed), and run with podman: the README walkthrough against a
container on its SQLite default (admin token generated into its volume, health check passing) and against one on a
PostgreSQL server, each stopped cleanly.

Needs root and HOOKD_DEB; `make package-test` provides both. ../shared/MACHINE.md says why the runtime is runc
with explicit limits here."""
import os
import subprocess
import uuid

import pytest

from walkthrough import Receiver, walkthrough  # puts tests/integration on the path
from harness import ROOT, PostgresServer, free_port, wait_until  # noqa: E402

DEB = os.environ.get("HOOKD_DEB", "")
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not DEB, reason="needs root and HOOKD_DEB (make package-test)")

BASE = "localhost/debian:bookworm"
IMAGE = "localhost/hookd:test"
PODMAN = ["podman", "--runtime", "runc"]
LIMITS = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=1024:1024"]


def run(*command, check=True, timeout=900):
    done = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-3000:]}")
    return done


@pytest.fixture(scope="module")
def image():
    if run("podman", "image", "exists", BASE, check=False).returncode != 0:
        rootfs = os.path.join(ROOT, "build", "rootfs")
        run(os.path.join(ROOT, "scripts", "debian-rootfs.sh"), rootfs)
        tar = subprocess.Popen(["tar", "-C", rootfs, "--exclude=./.hookd-rootfs-complete", "-c", "."],
                               stdout=subprocess.PIPE)
        imported = subprocess.run(["podman", "import", "-", BASE], stdin=tar.stdout, capture_output=True, text=True)
        tar.wait()
        assert imported.returncode == 0, imported.stderr
    run("buildah", "build", "--isolation", "chroot", "--format", "docker", "--build-arg", f"BASE={BASE}",
        "--build-arg", "PACKAGE_FROM=prebuilt", "-t", IMAGE, "-f", os.path.join(ROOT, "Containerfile"), ROOT)
    return IMAGE


def start(image, *env):
    name = "hookd-test-" + uuid.uuid4().hex[:8]
    api_port, metrics_port = free_port(), free_port()
    run(*PODMAN, "run", "-d", "--name", name, "--network", "host", *LIMITS, "-v", f"{name}:/var/lib/hookd",
        "-e", f"HOOKD_LISTEN=127.0.0.1:{api_port}", "-e", f"HOOKD_METRICS_LISTEN=127.0.0.1:{metrics_port}",
        "-e", "HOOKD_ALLOW_HTTP=true", "-e", "HOOKD_ALLOW_PRIVATE_NETWORKS=true", *env, image)
    return name, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{metrics_port}"


def stop(name):
    run(*PODMAN, "stop", "-t", "40", name)
    code = run("podman", "inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip()
    logs = run("podman", "logs", name).stdout + run("podman", "logs", name).stderr
    run("podman", "rm", "-f", name)
    run("podman", "volume", "rm", "-f", name, check=False)
    return code, logs


def test_the_image_runs_the_walkthrough_on_sqlite_and_on_postgresql(image):
    user = run("podman", "image", "inspect", "-f", "{{.Config.User}}", image).stdout.strip()
    assert user == "hookd", "the image runs as the hookd user"
    receiver = Receiver()
    name, base, metrics = start(image)
    try:
        wait_until(lambda: run(*PODMAN, "healthcheck", "run", name, check=False).returncode == 0, timeout=60,
                   interval=0.5, message="the container's health check")
        token = run(*PODMAN, "exec", name, "cat", "/var/lib/hookd/admin-token").stdout.strip()
        assert token.startswith("hka_")
        walkthrough(base, token, receiver, metrics)
        owner = run(*PODMAN, "exec", name, "stat", "-c", "%U %a", "/var/lib/hookd/hookd.db").stdout.split()
        assert owner == ["hookd", "600"] or owner[0] == "hookd", owner
    finally:
        code, logs = stop(name)
    assert code == "0", logs
    assert token not in logs

    pg = PostgresServer()
    try:
        database = pg.database_for("container")
        token = "hka_" + uuid.uuid4().hex
        receiver = Receiver()
        name, base, metrics = start(image, "-e", f"HOOKD_DATABASE={database}", "-e", f"HOOKD_ADMIN_TOKEN={token}")
        try:
            wait_until(lambda: run(*PODMAN, "healthcheck", "run", name, check=False).returncode == 0, timeout=60,
                       interval=0.5, message="the container's health check")
            walkthrough(base, token, receiver, metrics)
            assert pg.psql("SELECT count(*) FROM events", database) == "1"
        finally:
            code, logs = stop(name)
        assert code == "0", logs
    finally:
        pg.stop()
