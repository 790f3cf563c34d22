"""The Debian package on a fresh Debian 12 (a debootstrap tree): it installs with its dependencies from the archive,
makes the hookd user, its configuration and data directory, its unit passes `systemd-analyze verify`; hookd started
as the unit starts it (its User=, EnvironmentFile= and ExecStart=) signals readiness, serves the README walkthrough
to a real receiver, stops cleanly on SIGTERM; and a purge takes everything away.

Needs root (chroot) and HOOKD_DEB (scripts/build-deb.sh's package); `make package-test` provides both."""
import os
import shlex
import shutil
import socket
import subprocess

import pytest

from walkthrough import Receiver, walkthrough  # puts tests/integration on the path
from harness import ROOT, free_port  # noqa: E402

DEB = os.environ.get("HOOKD_DEB", "")
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not DEB, reason="needs root and HOOKD_DEB (make package-test)")


def chroot(root, *command, user=None, env=None, check=True, **kwargs):
    prefix = ["chroot"] + ([f"--userspec={user}:{user}"] if user else []) + [root]
    full = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", *[f"{k}={v}" for k, v in (env or {}).items()]]
    return subprocess.run(prefix + full + list(command), check=check, capture_output=True, text=True, **kwargs)


def unit_settings(text):
    """The [Service] section of a unit file: name → list of values."""
    settings, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            settings.setdefault(name, []).append(value)
    return settings


@pytest.fixture
def machine(tmp_path):
    """A fresh Debian 12 tree with /proc and /dev, removed afterwards."""
    base = os.path.join(ROOT, "build", "rootfs")
    subprocess.run([os.path.join(ROOT, "scripts", "debian-rootfs.sh"), base], check=True)
    root = str(tmp_path / "machine")
    subprocess.run(["cp", "-a", base, root], check=True)
    shutil.copy("/etc/resolv.conf", f"{root}/etc/resolv.conf")
    with open(f"{root}/usr/sbin/policy-rc.d", "w") as f:  # no service starts during installs in a chroot
        f.write("#!/bin/sh\nexit 101\n")
    os.chmod(f"{root}/usr/sbin/policy-rc.d", 0o755)
    mounts = []
    for what, where, kind in (("proc", "proc", "proc"), ("/dev", "dev", None)):
        target = f"{root}/{where}"
        args = ["mount", "-t", kind, what, target] if kind else ["mount", "--bind", what, target]
        subprocess.run(args, check=True)
        mounts.append(target)
    try:
        yield root
    finally:
        for target in reversed(mounts):
            subprocess.run(["umount", "-l", target])
        shutil.rmtree(root, ignore_errors=True)


def test_the_package_installs_serves_as_its_unit_says_and_purges(machine, tmp_path):
    root = machine
    shutil.copy(DEB, f"{root}/tmp/hookd.deb")
    chroot(root, "apt-get", "update", "-qq", timeout=600)
    installed = chroot(root, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "/tmp/hookd.deb",
                       env={"DEBIAN_FRONTEND": "noninteractive"}, check=False, timeout=900)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]

    # What the package made.
    assert chroot(root, "getent", "passwd", "hookd").stdout.split(":")[5] == "/var/lib/hookd"
    data = os.stat(f"{root}/var/lib/hookd")
    assert oct(data.st_mode & 0o777) == "0o700"
    token_file = os.stat(f"{root}/etc/hookd/admin-token")
    assert oct(token_file.st_mode & 0o777) == "0o640" and token_file.st_uid == 0
    admin_token = open(f"{root}/etc/hookd/admin-token").read().strip()
    assert admin_token.startswith("hka_") and len(admin_token) >= 40

    # The unit, as systemd reads it (its ExecStart pointed at the installed binary, since systemd checks it exists).
    unit_text = open(f"{root}/lib/systemd/system/hookd.service").read()
    unit = unit_settings(unit_text)
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "Type=notify",
                      "Restart=on-failure"):
        name, value = hardening.split("=")
        assert unit.get(name) == [value], hardening
    exec_start = shlex.split(unit["ExecStart"][0])
    checked = tmp_path / "hookd.service"
    checked.write_text(unit_text.replace(f"ExecStart={exec_start[0]}", f"ExecStart={root}{exec_start[0]}"))
    verified = subprocess.run(["systemd-analyze", "verify", str(checked)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # Started as the unit starts it: its user, its environment file (here: this test's ports and loopback
    # receivers), its command line, and a notification socket to hear READY=1 on.
    api_port, metrics_port = free_port(), free_port()
    with open(f"{root}/etc/default/hookd", "w") as f:
        f.write(f"HOOKD_LISTEN=127.0.0.1:{api_port}\nHOOKD_METRICS_LISTEN=127.0.0.1:{metrics_port}\n"
                "HOOKD_ALLOW_HTTP=true\nHOOKD_ALLOW_PRIVATE_NETWORKS=true\n")
    assert unit["EnvironmentFile"] == ["-/etc/default/hookd"] and unit["User"] == ["hookd"]
    env = dict(line.split("=", 1) for line in open(f"{root}/etc/default/hookd").read().split())
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify_path = f"{root}/run/hookd-notify"
    notify.bind(notify_path)
    os.chmod(notify_path, 0o777)
    notify.settimeout(30)
    env["NOTIFY_SOCKET"] = "/run/hookd-notify"
    command = ["chroot", "--userspec=hookd:hookd", root, "env", "-i", "PATH=/usr/bin:/bin",
               *[f"{k}={v}" for k, v in env.items()], *exec_start]
    log = open(tmp_path / "hookd.log", "wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    receiver = Receiver()
    try:
        assert notify.recv(64) == b"READY=1", "READY=1 on the notification socket"
        walkthrough(f"http://127.0.0.1:{api_port}", admin_token, receiver, f"http://127.0.0.1:{metrics_port}")
        # The data is the hookd user's, private; the admin token never reached the output.
        assert os.stat(f"{root}/var/lib/hookd/hookd.db").st_uid == int(
            chroot(root, "id", "-u", "hookd").stdout.strip())
        assert oct(os.stat(f"{root}/var/lib/hookd/master.key").st_mode & 0o777) == "0o600"
    finally:
        proc.terminate()
        code = proc.wait(timeout=60)
        receiver.close()
        notify.close()
    output = open(tmp_path / "hookd.log").read()
    assert code == 0, output
    assert admin_token not in output

    # A purge takes the program, its configuration, the token and the data.
    purged = chroot(root, "dpkg", "--purge", "hookd", check=False)
    assert purged.returncode == 0, purged.stdout + purged.stderr
    for gone in ("usr/bin/hookd", "etc/hookd", "var/lib/hookd", "lib/systemd/system/hookd.service"):
        assert not os.path.exists(f"{root}/{gone}"), gone
