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


def test_operational_metrics_say_how_old_the_backlog_is_and_whether_the_jobs_keep_up(make_hookd, receiver):
    """What the alert rules of deploy/prometheus/ read: the oldest waiting delivery per stage, shards held and lease
    rounds, the retention job catching up, alert emails by result, store write failures."""
    hanging = receiver()
    hanging.hang(3)
    h = make_hookd("--attempt-timeout", "10s", "--retention", "1h", "--disable-after", "1", "--retry-schedule", "none",
                   "--smtp-url", "smtp://127.0.0.1:1", "--smtp-from", "hookd@example.com")
    _, key = h.create_account()
    h.create_webhook(key, hanging.url, events=["task.*"])
    h.emit(key, "task.completed")
    # An attempt that hangs: the in-flight stage's oldest delivery ages while it lasts.
    wait_until(lambda: value(scrape(h), 'hookd_oldest_waiting_delivery_seconds{stage="in_flight"}') >= 1.0,
               timeout=10, message="the hanging attempt's age")
    text = scrape(h)
    assert value(text, 'hookd_oldest_waiting_delivery_seconds{stage="ready"}') == 0
    assert value(text, "hookd_shards_held") == 256  # alone, a process runs every shard
    assert value(text, 'hookd_lease_renewals_total{result="renewed"}') >= 1
    assert value(text, 'hookd_lease_renewals_total{result="failed"}') == 0
    wait_until(lambda: value(scrape(h), "hookd_retention_caught_up_timestamp_seconds") > 0,
               message="the first retention run")
    assert value(text, "hookd_store_write_failures_total") == 0
    # A webhook disabled (one dead delivery) with an SMTP server that refuses: a failed alert email.
    hanging.hang(0)
    hanging.always(500)
    h.emit(key, "task.completed")
    wait_until(lambda: value(scrape(h), 'hookd_alert_emails_total{result="failed"}') >= 1, timeout=30,
               message="the failed alert email")
    checked = subprocess.run(["promtool", "check", "metrics"], input=scrape(h), capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
