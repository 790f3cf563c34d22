"""deploy/: a real Prometheus scrapes a real hookd under load through its metrics address, loads the alert rules,
and answers every query of the Grafana dashboard and of every rule through its HTTP API, each with data."""
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

import yaml

import pytest

from harness import BACKEND, ROOT, SLOW, free_port, wait_until

RULES = os.path.join(ROOT, "deploy/prometheus/hookd-alerts.yml")
DASHBOARD = os.path.join(ROOT, "deploy/grafana/hookd-dashboard.json")
pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="Prometheus reads the same metrics whichever store hookd runs on")


def prometheus_api(base, path, **params):
    url = f"{base}/api/v1/{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10 * SLOW) as r:
        answer = json.loads(r.read())
    assert answer["status"] == "success", answer
    return answer["data"]


def without_thresholds(expr):
    """A rule's expression without its comparisons against constants: what it measures, which has data whether or
    not the alert fires."""
    return re.sub(r"\s*(==|!=|>=|<=|>|<)\s*[0-9.]+", "", expr)


def test_prometheus_answers_every_dashboard_panel_and_alert_rule_with_data(make_hookd, receiver, tmp_path):
    assert shutil.which("prometheus"), "Debian's prometheus package is installed by make test"
    ok, failing = receiver(), receiver()
    failing.always(503)
    metrics_port = free_port()
    h = make_hookd("--metrics-listen", f"127.0.0.1:{metrics_port}", "--retry-schedule", "1s,1s",
                   "--disable-after", "1", "--retention", "1h")
    _, key = h.create_account()
    h.create_webhook(key, ok.url, events=["task.*"])
    h.create_webhook(key, failing.url, events=["user.*"])

    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [RULES],
        "scrape_configs": [{"job_name": "hookd", "static_configs": [{"targets": [f"127.0.0.1:{metrics_port}"]}]}],
    }))
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "wb"))
    base = f"http://127.0.0.1:{port}"
    try:
        def ready():
            try:
                return urllib.request.urlopen(base + "/-/ready", timeout=2).status == 200
            except OSError:
                return False

        wait_until(ready, timeout=30, interval=0.2, message="Prometheus ready")
        # Load: events for both webhooks for a while, so every rate has samples on both sides of its window.
        started = time.time()
        while time.time() - started < 12 * SLOW:
            h.emit(key, "task.completed")
            h.emit(key, "user.created")
            time.sleep(0.05)
        wait_until(lambda: prometheus_api(base, "query", query='count_over_time(up{job="hookd"}[1m])')["result"]
                   and float(prometheus_api(base, "query", query='count_over_time(up{job="hookd"}[1m])')
                             ["result"][0]["value"][1]) >= 10,
                   timeout=30, interval=0.5, message="ten scrapes")

        dashboard = json.load(open(DASHBOARD))
        queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
        assert len(queries) >= 20
        for expr in queries:
            concrete = expr.replace("$__rate_interval", "15s").replace("$instance", ".*")
            result = prometheus_api(base, "query", query=concrete)["result"]
            assert result, f"dashboard query returned no data: {concrete}"

        rules = yaml.safe_load(open(RULES))["groups"][0]["rules"]
        loaded = prometheus_api(base, "rules")["groups"][0]["rules"]
        assert sorted(r["name"] for r in loaded) == sorted(r["alert"] for r in rules)
        assert all(r["health"] == "ok" for r in loaded), loaded
        for rule in rules:
            measured = without_thresholds(rule["expr"])
            if "offset 10m" in measured:  # needs ten minutes of history: its parts, now
                measured = measured.replace(" offset 10m", "")
            result = prometheus_api(base, "query", query=measured)["result"]
            assert result, f"{rule['alert']}: no data for {measured}"
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=30)
