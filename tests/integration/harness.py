"""Test harness: runs the real hookd binary on a temp data dir and a free port, and real HTTP receivers whose
behaviour a test scripts (succeed, fail N times, hang, answer 410...), recording every request they get."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

from openapi_contract import CONTRACT

HOOKD_BIN = os.environ.get("HOOKD_BIN", os.path.join(os.path.dirname(__file__), "../../build/hookd"))
SANITIZED = os.environ.get("HOOKD_SANITIZED") == "1"
# The store the hookd processes use: "sqlite" (a file in each data dir) or "postgres" (a private server for the
# whole run, started by scripts/pg-server.sh, with a database per data dir).
BACKEND = os.environ.get("HOOKD_TEST_BACKEND", "sqlite")
# With "pgbouncer" (and the postgres backend), hookd reaches each database through a private PgBouncer in
# transaction mode (scripts/pgbouncer.sh), with --database-direct-url for what needs a session.
POOLER = os.environ.get("HOOKD_TEST_POOLER", "")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
PSQL = "/usr/lib/postgresql/15/bin/psql"
# Sanitized builds are several times slower; scale waits, never assertions about order or counts.
SLOW = 3.0 if SANITIZED else 1.0


def wait_until(predicate, timeout=10.0, interval=0.02, message="condition"):
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"<Response {self.status} {self.raw[:300]!r}>"


class PostgresServer:
    """A private PostgreSQL 15 server in a temp dir on a free port (scripts/pg-server.sh), stopped at exit."""

    _instance = None

    @classmethod
    def shared(cls):
        if cls._instance is None:
            import atexit

            cls._instance = cls()
            atexit.register(cls._instance.stop)
        return cls._instance

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hookd-pg-")
        os.chmod(self.dir, 0o755)  # the server runs as the postgres user
        self.port = free_port()
        self.url = self._script("start", str(self.port)).strip()
        self.admin_url = self.url.rsplit("/", 1)[0] + "/postgres"
        self.pooler_url = None
        if POOLER == "pgbouncer":
            self.pooler_port = free_port()
            self.pooler_url = subprocess.check_output(
                [os.path.join(ROOT, "scripts/pgbouncer.sh"), "start", self.dir + "/pgbouncer", str(self.port),
                 str(self.pooler_port)]).decode().strip()

    def _script(self, *args):
        return subprocess.check_output([os.path.join(ROOT, "scripts/pg-server.sh"), args[0], self.dir + "/pg",
                                        *args[1:]]).decode()

    def psql(self, sql, url=None):
        return subprocess.check_output([PSQL, url or self.admin_url, "-qtAX", "-c", sql]).decode().strip()

    def database_for(self, key):
        """The URL of a database of its own for `key` (a data dir), created on first use."""
        name = "t_" + hashlib.sha1(key.encode()).hexdigest()[:20]
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            self.psql(f"CREATE DATABASE {name}")
        return (self.pooler_url or self.url).rsplit("/", 1)[0] + "/" + name

    def direct_url(self, url):
        """The URL of the same database straight to the server (not through the pooler)."""
        if self.pooler_url and url.startswith(self.pooler_url.rsplit("/", 1)[0] + "/"):
            return self.url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1]
        return url

    def checkpoint(self):
        """Bounds what crash recovery replays to what is written from now on: before a test's load, so that a
        restart under load recovers in seconds however much the suite wrote before it."""
        self.psql("CHECKPOINT")

    def restart_immediate(self):
        """Kills the server without a checkpoint and starts it again: crash recovery replays the WAL."""
        self._script("restart")

    def stop(self):
        if self.pooler_url:
            subprocess.run([os.path.join(ROOT, "scripts/pgbouncer.sh"), "stop", self.dir + "/pgbouncer"])
        try:
            self._script("stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)  # gigabytes after a run of the suite


def database_args(data_dir, extra_args):
    """The --database flag for the backend under test (with the pooler's, when there is one), unless the test chose
    its own."""
    if BACKEND != "postgres" or any(a == "--database" or a.startswith("--database=") for a in extra_args):
        return []
    database = ["--database", PostgresServer.shared().database_for(os.path.abspath(data_dir))]
    return database + pooling_args(database)


def pooling_args(args):
    """The flags that tell hookd its --database in `args` is a transaction-mode pooler, when it is one."""
    if POOLER != "pgbouncer":
        return []
    urls = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--database"]
    urls += [a.split("=", 1)[1] for a in args if a.startswith("--database=")]
    direct = [PostgresServer.shared().direct_url(u) for u in urls if u.startswith("postgres")]
    if not direct or direct[-1] == urls[-1]:
        return []
    return ["--database-pool-mode", "transaction", "--database-direct-url", direct[-1]]


def hookd_command(*args):
    """A hookd command line: the binary, `args`, and the pooler's flags when the database goes through one."""
    args = [str(a) for a in args]
    return [HOOKD_BIN, *args, *pooling_args(args)]


class Hookd:
    """One hookd process. `start()` waits until it listens; `kill9()` and `stop()` end it."""

    def __init__(self, data_dir, extra_args=(), env=None):
        self.data_dir = str(data_dir)
        self.extra_args = list(extra_args)
        self.env = env or {}
        self.proc = None
        self.base = None
        self.log_path = os.path.join(self.data_dir, "hookd.log")

    def start(self, port=0):
        os.makedirs(self.data_dir, exist_ok=True)
        args = [HOOKD_BIN, "serve", "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{port}"] + self.extra_args
        args += database_args(self.data_dir, self.extra_args) or pooling_args(args)
        env = dict(os.environ)
        env.update(self.env)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, env=env)
        deadline = time.time() + 20 * SLOW
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                raise AssertionError(f"hookd exited early ({self.proc.wait()}); log:\n{self.log()}")
            if line.startswith("hookd listening on "):
                self.base = line.split("listening on ", 1)[1].strip()
                break
        else:
            raise AssertionError("hookd did not start")
        threading.Thread(target=self._drain_stdout, daemon=True).start()
        return self

    def _drain_stdout(self):
        for _ in self.proc.stdout:
            pass

    @property
    def port(self):
        return int(self.base.rsplit(":", 1)[1])

    @property
    def admin_token(self):
        with open(os.path.join(self.data_dir, "admin-token")) as f:
            return f.read().strip()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def log_events(self):
        """The log without its access lines: what a failing test shows of what hookd went through."""
        return "\n".join(line for line in self.log().splitlines() if " info request " not in line)

    def database_url(self):
        args = database_args(self.data_dir, self.extra_args) or self.extra_args
        return args[args.index("--database") + 1] if "--database" in args else None

    def stored_bytes(self):
        """Everything the store holds, as bytes: the SQLite file and its WAL, or a dump of the PostgreSQL database."""
        if BACKEND == "postgres":
            return subprocess.check_output(["/usr/lib/postgresql/15/bin/pg_dump", self.database_url()])
        raw = b""
        for suffix in ("", "-wal"):
            try:
                with open(f"{self.data_dir}/hookd.db{suffix}", "rb") as f:
                    raw += f.read()
            except FileNotFoundError:
                pass
        return raw

    def request(self, method, path, token=None, body=None, headers=None, raw=None, timeout=30):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None and not (headers and any(k.lower() == "content-type" for k in headers)):
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout * SLOW) as r:
                response, redirected = Response(r.status, dict(r.headers), r.read()), r.geturl() != self.base + path
        except urllib.error.HTTPError as e:
            response, redirected = Response(e.code, dict(e.headers), e.read()), False
        if not redirected:
            CONTRACT.check(method, path, response.status, response.headers.get("content-type"), response.raw)
        return response

    def stop(self, sig=signal.SIGTERM, timeout=40):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            code = self.proc.wait(timeout=timeout * SLOW)
        else:
            code = self.proc.returncode if self.proc else 0
        self._log.close()
        return code

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._log.close()

    # ---- conveniences over the API ----

    def create_account(self, name="Acme", email="ops@acme.test"):
        r = self.request("POST", "/api/v1/accounts", self.admin_token, {"name": name, "email": email})
        assert r.status == 201, r
        account = r.json
        r = self.request("POST", f"/api/v1/accounts/{account['id']}/api-keys", self.admin_token, {"name": "test"})
        assert r.status == 201, r
        return account["id"], r.json["key"]

    def create_webhook(self, key, url, events=("*",), **fields):
        body = {"url": url, "events": list(events)}
        body.update(fields)
        r = self.request("POST", "/api/v1/webhooks?verify=false", key, body)
        assert r.status == 201, r
        return r.json

    def emit(self, key, type_="task.completed", data=None, **fields):
        body = {"type": type_, "data": data if data is not None else {"n": 1}}
        body.update(fields)
        r = self.request("POST", "/api/v1/events", key, body)
        assert r.status == 202, r
        return r.json

    def deliveries(self, key, query=""):
        r = self.request("GET", f"/api/v1/deliveries{query}", key)
        assert r.status == 200, r
        return r.json["data"]


class Receiver:
    """A real HTTP receiver on 127.0.0.1 with a scripted behaviour, in the spirit of an HTTP imposter:
    `fail_first(n, status)`, `always(status)`, `hang(seconds)`, `answer_handshakes("body" | "header" | None)`.
    Records (time, headers, body) of every request.
    With `tls` (an ssl.SSLContext) it serves HTTPS and its URL names `localhost`; with `idle_timeout` it closes a
    kept-alive connection that has been idle that many seconds, as many servers do."""

    def __init__(self, tls=None, idle_timeout=None):
        self.requests = []
        self.lock = threading.Lock()
        self.status = 200
        self.fail_remaining = 0
        self.fail_status = 500
        self.hang_seconds = 0
        self.reset_remaining = 0
        self.response_body = b'{"ok":true}'
        self.response_headers = {}
        self.handshake_echo = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = idle_timeout

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        {"time": time.time(), "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": body, "client_host": self.client_address[0],
                         "client_port": self.client_address[1]})
                    hang = receiver.hang_seconds
                    reset = receiver.reset_remaining > 0
                    if reset:
                        receiver.reset_remaining -= 1
                    if receiver.fail_remaining > 0:
                        receiver.fail_remaining -= 1
                        status = receiver.fail_status
                    else:
                        status = receiver.status
                    payload = receiver.response_body
                    extra = dict(receiver.response_headers)
                    if receiver.handshake_echo and self.headers.get("x-webhook-event") == "webhook.verification":
                        challenge = json.loads(body)["challenge"]
                        if receiver.handshake_echo == "body":
                            payload = json.dumps({"challenge": challenge}).encode()
                        else:
                            extra["webhook-challenge"] = challenge
                if hang:
                    time.sleep(hang)
                if reset:  # abort the connection: SO_LINGER 0 makes close() send a TCP RST
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                try:
                    self.send_response(status)
                    for k, v in extra.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 1024  # a real server's backlog; Python's default of 5 drops bursts of connects

        self.server = Server(("127.0.0.1", 0), Handler)
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.tls = tls
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        if self.tls:
            return f"https://localhost:{self.server.server_address[1]}/hook"
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def fail_first(self, n, status=500):
        self.fail_remaining, self.fail_status = n, status
        return self

    def always(self, status):
        self.status = status
        return self

    def reset_first(self, n):
        self.reset_remaining = n
        return self

    def answer_handshakes(self, how):
        """Echo a webhook.verification challenge in the body or a header (None: answer it like any request)."""
        self.handshake_echo = how
        return self

    def hang(self, seconds):
        self.hang_seconds = seconds
        return self

    def received(self, event_type=None):
        with self.lock:
            reqs = list(self.requests)
        reqs = [r for r in reqs if r["headers"].get("x-webhook-event") not in ("webhook.ping", "webhook.verification")]
        if event_type:
            reqs = [r for r in reqs if r["headers"].get("x-webhook-event") == event_type]
        return reqs

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def verify_standard_webhooks(secret, headers, body, tolerance=300):
    """An independent Standard Webhooks verifier, written from the specification."""
    msg_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    assert abs(time.time() - int(timestamp)) <= tolerance
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in headers["webhook-signature"].split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


def verify_seed_signature(payload, signature, secret):
    """Seed 001's Python example, as published."""
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, expected)
