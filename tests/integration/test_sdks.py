"""The TypeScript and Go clients (sdks/) against a real hookd: each one's own test (sdks/typescript/test,
sdks/go/client_test.go) runs a webhook's life cycle, idempotent single and batch sends, paging, manual retry, a
portal session and every error class against the hookd started here, with a receiver that answers 200, or 500 under
/fail. The TypeScript client is first built from hookd's OpenAPI document (openapi-typescript, then tsc --strict).
On the SQLite pass only: the clients speak HTTP, whichever store answers."""
import http.server
import os
import subprocess
import tempfile
import threading

import pytest

from harness import BACKEND, ROOT, SANITIZED

pytestmark = pytest.mark.skipif(BACKEND != "sqlite" or SANITIZED,
                                reason="the clients speak HTTP, whichever store or build answers")


class PathReceiver:
    """Answers 500 to requests whose path ends in /fail, 200 to the rest."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(500 if self.path.endswith("/fail") else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def client_env(make_hookd):
    h = make_hookd("--retry-schedule", "200ms")
    rx = PathReceiver()
    yield dict(os.environ, HOOKD_URL=h.base, HOOKD_ADMIN_TOKEN=h.admin_token, RECEIVER_URL=rx.url)
    rx.close()


def test_the_typescript_client(client_env):
    sdk = os.path.join(ROOT, "sdks/typescript")
    assert os.path.isdir(os.path.join(sdk, "node_modules")), "run make test (it runs npm ci in sdks/typescript)"
    build = subprocess.run(["npm", "run", "--silent", "build"], cwd=sdk, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    run = subprocess.run(["node", "--test", "test/"], cwd=sdk, env=client_env, capture_output=True, text=True,
                         timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# pass 3" in run.stdout and "# fail 0" in run.stdout, run.stdout


def test_the_go_client(client_env):
    cache = os.path.join(tempfile.gettempdir(), f"hookd-sdk-go-{os.getuid()}")
    env = dict(client_env, GOCACHE=client_env.get("GOCACHE", cache), GOFLAGS="-mod=mod", GOPROXY="off")
    run = subprocess.run(["go", "test", "-count=1", "-v", "./..."], cwd=os.path.join(ROOT, "sdks/go"), env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("TestAWebhooksLife", "TestBusyAnswersAreRetriedAfterRetryAfterWithTheSameKey"):
        assert f"--- PASS: {name}" in run.stdout, run.stdout
