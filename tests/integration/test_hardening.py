"""Attacks and misbehaving peers (SPEC §3, §4, §7): request framing that never ends, more connections and request
bodies than the server holds, bytes that are not UTF-8, duplicate JSON members, impossible webhook ports, receivers
that answer huge bodies or close kept-alive connections, and a data dir hookd cannot write."""
import json
import os
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from harness import HOOKD_BIN, SLOW, wait_until


def peak_rss_kib(h):
    with open(f"/proc/{h.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def send_and_read_answer(h, head, filler, total_bytes, timeout=10):
    """Sends `head`, then `filler` repeatedly up to `total_bytes` (stopping when the server closes), and returns
    what the server answered."""
    with socket.create_connection(("127.0.0.1", h.port), timeout=timeout * SLOW) as s:
        s.sendall(head)
        sent = 0
        try:
            while sent < total_bytes:
                s.sendall(filler)
                sent += len(filler)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        return answer


def status_of(answer):
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


CHUNKED = (b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n")


@pytest.mark.parametrize("name, head, filler", [
    ("extension", CHUNKED + b"2;", b"e" * 65536),
    ("chunk-size", CHUNKED + b"2", b"0" * 65536),
    ("trailer", CHUNKED + b"2\r\n{}\r\n0\r\nX-Trailer: ", b"t" * 65536),
], ids=["extension", "chunk-size", "trailer"])
def test_chunk_framing_that_never_ends_is_refused_without_buffering(hookd, key, name, head, filler):
    before = peak_rss_kib(hookd)
    answer = send_and_read_answer(hookd, head, filler, 48 * 1024 * 1024)
    assert status_of(answer) == 400, (name, answer[:200])
    assert b"too long" in answer
    grown_mib = (peak_rss_kib(hookd) - before) / 1024
    assert grown_mib < 16, f"{name}: peak RSS grew {grown_mib:.0f} MiB"
    assert hookd.request("GET", "/api/v1/webhooks", key).status == 200


def test_too_many_chunks_is_413(hookd, key):
    body = b"".join(b"1\r\n \r\n" for _ in range(17000)) + b"2\r\n{}\r\n0\r\n\r\n"
    answer = send_and_read_answer(hookd, CHUNKED + body, b"", 0)
    assert status_of(answer) == 413 and b"chunks" in answer, answer[:200]
    # A body in few chunks is read whole and reaches the API (which wants a key).
    few = CHUNKED + b"2\r\n{}\r\n0\r\n\r\n"
    answer = send_and_read_answer(hookd, few, b"", 0)
    assert status_of(answer) == 401, answer[:200]


def test_request_bodies_past_the_servers_budget_are_503(hookd, key):
    """Each request declaring 4 MiB reserves it while its body is awaited; 64 of them fill the 256 MiB budget."""
    head = (b"POST /api/v1/events/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: 4194304\r\n\r\n")
    holders = []
    try:
        for _ in range(64):
            s = socket.create_connection(("127.0.0.1", hookd.port), timeout=10 * SLOW)
            s.sendall(head)
            holders.append(s)
        time.sleep(0.5 * SLOW)  # the server has read every header
        answer = send_and_read_answer(hookd, head, b"", 0)
        assert status_of(answer) == 503 and b"retry-after: 1" in answer.lower(), answer[:300]
        # Smaller requests that fit in what is left still go through.
        assert hookd.request("GET", "/api/v1/webhooks", key).status == 200
    finally:
        for s in holders:
            s.close()
    wait_until(lambda: status_of(send_and_read_answer(hookd, head.replace(b"4194304", b"2"), b"{}", 2)) == 401,
               message="the budget is given back when the connections close")


def test_connections_past_the_limit_are_503(make_hookd):
    h = make_hookd("--max-connections", "8")
    _, key = h.create_account()
    held = [socket.create_connection(("127.0.0.1", h.port), timeout=5 * SLOW) for _ in range(8)]
    try:
        time.sleep(0.3 * SLOW)
        answer = send_and_read_answer(h, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"", 0)
        assert status_of(answer) == 503 and b"too many open connections" in answer, answer[:200]
    finally:
        for s in held:
            s.close()
    wait_until(lambda: h.request("GET", "/api/v1/webhooks", key).status == 200, message="served again")


def raw_request(h, target, token=None):
    auth = f"Authorization: Bearer {token}\r\n".encode() if token else b""
    request = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth + b"\r\n"
    answer = send_and_read_answer(h, request, b"", 0)
    head, _, body = answer.partition(b"\r\n\r\n")
    return status_of(answer), body


@pytest.mark.parametrize("target", [
    b"/api/v1/nope%ff", b"/ui/%c0%ae%c0%ae/x", b"/api/v1/webhooks/%ff%fe", b"/api/v1/webhooks/wh_%ed%a0%80/secret",
    b"/api/v1/deliveries?status=%ff", b"/api/v1/events?since=%c3", b"/api/v1/webhooks?environment=%80&event=%ff",
    b"/api/v1/deliveries?limit=%f4%90%80%80", b"/api/v1/events?cursor=%ff", b"/api/v1/\xff\xfe",
    b"/api/v1/event-types/%ff",
])
def test_every_error_that_echoes_input_is_utf8_json(hookd, key, target):
    status, body = raw_request(hookd, target, key)
    assert status is not None and status < 500, (status, body)
    document = json.loads(body.decode("utf-8"))  # raises on a byte that is not UTF-8
    assert status == 200 or document["error"]["message"]


def test_a_receivers_binary_body_is_logged_as_utf8(hookd, key, receiver):
    r = receiver().always(500)
    r.response_body = b"\xff\xfe binary \xc3\x28 \xed\xa0\x80 end"
    hookd.create_webhook(key, r.url)
    hookd.emit(key)
    delivery = wait_until(lambda: [d for d in hookd.deliveries(key) if d["attempt_count"] >= 1])[0]
    r_raw = hookd.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).raw
    attempt = json.loads(r_raw.decode("utf-8"))["attempts"][0]
    assert attempt["response_status"] == 500 and "binary" in attempt["response_body"]
    assert "\ufffd" in attempt["response_body"]


def test_duplicate_members_are_400_at_every_depth_and_change_nothing(hookd, key, receiver):
    url = receiver().url
    hookd.create_webhook(key, url)
    count = lambda path: len(hookd.request("GET", path + "?limit=1000", key).json["data"])
    before = (count("/api/v1/webhooks"), count("/api/v1/events"))
    cases = [
        ("/api/v1/webhooks?verify=false",
         b'{"url": "https://a.example/x", "events": ["*"], "url": "https://b.example/x"}', "url"),
        ("/api/v1/webhooks?verify=false",
         b'{"url": "https://a.example/x", "events": ["*"], "headers": {"X-A": "1", "X-A": "2"}}', "headers.X-A"),
        ("/api/v1/events", b'{"type": "task.completed", "type": "user.created"}', "type"),
        ("/api/v1/events", b'{"type": "task.completed", "data": {"user": {"id": 1, "id": 2}}}', "data.user.id"),
        ("/api/v1/events", b'{"type": "task.completed", "data": {"list": [{"a": 1}, {"b": 1, "b": 2}]}}',
         "data.list.[].b"),
        ("/api/v1/events/batch", b'{"events": [{"type": "task.completed", "data": {"k": 1, "k": 1}}]}',
         "events.[].data.k"),
        ("/api/v1/events", b'{"type": "task.completed", "data": {"\\u0061": 1, "a": 2}}', "data.a"),
    ]
    for path, raw, member in cases:
        r = hookd.request("POST", path, key, raw=raw)
        assert r.status == 400, (raw, r)
        assert f'"{member}"' in r.json["error"]["message"], (member, r.json)
    account = hookd.request("POST", "/api/v1/accounts", hookd.admin_token, raw=b'{"name": "A", "name": "B"}')
    assert account.status == 400 and '"name"' in account.json["error"]["message"]
    assert (count("/api/v1/webhooks"), count("/api/v1/events")) == before


def test_webhook_urls_with_impossible_ports_are_422(hookd, key):
    for url in ("https://hooks.example:99999/x", "https://hooks.example:0/x", "https://hooks.example:/x",
                "https://hooks.example:4294967739/x"):
        r = hookd.request("POST", "/api/v1/webhooks?verify=false", key, {"url": url, "events": ["*"]})
        assert r.status == 422, (url, r)
        assert r.json["error"]["details"][0]["field"] == "url" and "port" in r.json["error"]["details"][0]["message"]
    hook = hookd.create_webhook(key, "https://hooks.example:8443/x")
    r = hookd.request("PATCH", f"/api/v1/webhooks/{hook['id']}?verify=false", key, {"url": "https://hooks.example:0/"})
    assert r.status == 422 and hookd.request("GET", f"/api/v1/webhooks/{hook['id']}", key).json["url"].endswith(":8443/x")


class RawReceiver:
    """A receiver on a plain socket, for answers Python's http.server cannot give: `answer(conn, request)` writes
    the response and decides what happens to the connection."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return conn.close()
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
        while len(body) < length:
            body += conn.recv(65536)
        self.requests += 1
        self.answer(conn)

    def close(self):
        self.closed = True
        self.sock.close()


def test_a_huge_response_body_keeps_its_first_10_kib_and_is_flagged(hookd, key):
    def answer(conn):
        body = b"x" * (9 * 1024 * 1024)
        try:
            conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        except OSError:
            pass  # hookd stops reading after 10 KiB and closes
        conn.close()

    r = RawReceiver(answer)
    try:
        hookd.create_webhook(key, r.url)
        hookd.emit(key)
        delivery = wait_until(lambda: [d for d in hookd.deliveries(key) if d["attempt_count"] >= 1])[0]
        attempt = hookd.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json["attempts"][0]
        assert attempt["response_status"] == 500 and attempt["error"] is None
        assert attempt["response_body"] == "x" * 10240 and attempt["response_body_truncated"] is True
    finally:
        r.close()


@pytest.mark.slow
def test_a_receiver_that_closes_kept_alive_connections_never_leaves_an_attempt_without_a_reason(make_hookd):
    """The receiver answers 500 with keep-alive, then closes the connection a second later without reading."""
    def answer(conn):
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nnope")
        threading.Timer(1.0, conn.close).start()

    r = RawReceiver(answer)
    h = make_hookd("--retry-schedule", "300ms,300ms", "--circuit-threshold", "1000")
    _, key = h.create_account()
    try:
        h.create_webhook(key, r.url)
        for _ in range(4):
            h.emit(key)
            time.sleep(0.25)
        deliveries = wait_until(lambda: (lambda ds: len(ds) == 4 and all(d["status"] == "dead" for d in ds) and ds)(
            h.deliveries(key)), timeout=20, message="4 dead deliveries")
        for d in deliveries:
            for attempt in h.request("GET", f"/api/v1/deliveries/{d['id']}", key).json["attempts"]:
                assert attempt["response_status"] is not None or attempt["error"], attempt
                assert attempt["response_status"] == 500, attempt  # a closed idle connection costs no attempt
    finally:
        r.close()


def run_as_nobody(*args):
    return subprocess.run(["runuser", "-u", "nobody", "--", HOOKD_BIN, *args], capture_output=True, text=True,
                          timeout=60 * SLOW)


def test_a_data_dir_hookd_may_not_write_names_the_file_and_the_cause():
    base = tempfile.mkdtemp(prefix="hookd-perm-")
    try:
        os.chmod(base, 0o755)
        data = os.path.join(base, "data")
        os.mkdir(data)
        subprocess.run(["chown", "nobody", data], check=True)
        assert run_as_nobody("migrate", "--data-dir", data).returncode == 0
        subprocess.run(["chown", "root", data], check=True)  # initialised, then not writable by hookd's user
        os.chmod(data, 0o755)
        done = run_as_nobody("migrate", "--data-dir", data)
        assert done.returncode == 1, done
        assert os.path.join(data, "hookd.db") in done.stderr and "permission denied" in done.stderr, done.stderr
        assert "unable to open database file" not in done.stderr
    finally:
        subprocess.run(["rm", "-rf", base])


def test_a_read_only_data_dir_names_the_file_and_the_cause(tmp_path):
    data, mount = tmp_path / "data", tmp_path / "ro"
    assert subprocess.run([HOOKD_BIN, "migrate", "--data-dir", str(data)], capture_output=True).returncode == 0
    mount.mkdir()
    if subprocess.run(["mount", "--bind", "-o", "ro", str(data), str(mount)], capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow a read-only bind mount")
    try:
        done = subprocess.run([HOOKD_BIN, "serve", "--data-dir", str(mount), "--listen", "127.0.0.1:0"],
                              capture_output=True, text=True, timeout=30 * SLOW)
        assert done.returncode == 1, done
        assert str(mount / "hookd.db") in done.stderr and "read-only file system" in done.stderr, done.stderr
    finally:
        subprocess.run(["umount", str(mount)])


def test_an_account_holds_at_most_the_webhooks_the_server_allows_even_when_created_at_once(make_hookd):
    """The cap bounds how many deliveries one event makes; it is checked in the insert's own transaction."""
    h = make_hookd("--max-webhooks-per-account", "3")
    _, key = h.create_account()
    results = []
    threads = [threading.Thread(target=lambda: results.append(h.request(
        "POST", "/api/v1/webhooks?verify=false", key, {"url": "https://hooks.example/x", "events": ["*"]})))
        for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == [201] * 3 + [409] * 5, results
    refused = next(r for r in results if r.status == 409)
    assert refused.json["error"]["code"] == "too_many_webhooks"
    listed = h.request("GET", "/api/v1/webhooks", key).json["data"]
    assert len(listed) == 3
    assert h.request("DELETE", f"/api/v1/webhooks/{listed[0]['id']}", key).status == 204
    assert h.request("POST", "/api/v1/webhooks?verify=false", key,
                     {"url": "https://hooks.example/y", "events": ["*"]}).status == 201
    _, other_key = h.create_account(name="Other", email="ops@other.test")
    assert h.request("POST", "/api/v1/webhooks?verify=false", other_key,
                     {"url": "https://hooks.example/z", "events": ["*"]}).status == 201
