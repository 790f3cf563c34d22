"""/metrics as an operator scrapes it: valid exposition text (promtool), histograms that move when deliveries
happen, attempts by outcome class, API requests by route, and no label that carries an id."""
import re
import shutil
import subprocess

from harness import free_port, wait_until


def scrape(hookd):
    r = hookd.request("GET", "/metrics")
    assert r.status == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4"), r
    return r.raw.decode()


def value(text, series):
    """The value of one series (name with its labels, exactly as exposed), or 0 when absent."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split(" ")[1])
    return 0.0


def test_metrics_pass_promtool_and_the_histograms_follow_deliveries(hookd, key, receiver):
    assert shutil.which("promtool"), "promtool (Debian's prometheus package) is installed by make test"
    ok, failing = receiver(), receiver()
    failing.fail_first(1000)
    good = hookd.create_webhook(key, ok.url, events=["task.*"])
    hookd.create_webhook(key, failing.url, events=["user.*"])
    hookd.create_webhook(key, f"http://127.0.0.1:{free_port()}/closed", events=["invoice.*"])
    before = scrape(hookd)
    for _ in range(3):
        hookd.emit(key, "task.completed")
    hookd.emit(key, "user.created")
    hookd.emit(key, "invoice.paid")
    wait_until(lambda: len(ok.received()) == 3 and failing.received())
    # A receiver has the request before hookd has the response: wait for hookd's side of each attempt.
    wait_until(lambda: value(scrape(hookd), 'hookd_attempts_total{outcome="connection"}') >= 1
               and value(scrape(hookd), "hookd_delivery_latency_seconds_count") >= 3,
               message="every attempt counted")
    text = scrape(hookd)

    checked = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    def moved(series):
        return value(text, series) - value(before, series)

    assert moved('hookd_attempts_total{outcome="2xx"}') == 3
    assert moved('hookd_attempts_total{outcome="5xx"}') >= 1
    assert moved("hookd_attempt_duration_seconds_count") >= 5
    assert moved("hookd_delivery_latency_seconds_count") == 3
    assert moved('hookd_delivery_latency_seconds_bucket{le="+Inf"}') == 3
    assert moved("hookd_events_accepted_total") == 5
    assert moved('hookd_api_requests_total{route="/api/v1/events",status_class="2xx"}') == 5
    assert moved('hookd_api_request_duration_seconds_count{route="/api/v1/events"}') == 5
    assert value(text, "hookd_store_commit_duration_seconds_count") > 0
    assert value(text, "hookd_store_commit_batch_size_count") > 0
    assert value(text, 'hookd_webhooks{status="healthy"}') + value(text, 'hookd_webhooks{status="failing"}') == 3
    assert re.search(r'^hookd_build_info\{version="[0-9.]+"\} 1$', text, re.M)
    assert value(text, "process_start_time_seconds") > 1.7e9
    for stage in ("scheduled", "ready", "loading", "in_flight", "recording"):
        assert f'hookd_deliveries_waiting{{stage="{stage}"}}' in text

    # Bounded labels only: no id of a webhook, an event or an account ever appears.
    assert good["id"] not in text and "evt_" not in text and "acc_" not in text
    unknown = hookd.request("GET", "/api/v1/webhooks/wh_not_a_real_one", key)
    assert unknown.status == 404
    assert "wh_not_a_real_one" not in scrape(hookd)
    assert value(scrape(hookd), 'hookd_api_requests_total{route="/api/v1/webhooks/{id}",status_class="4xx"}') >= 1
