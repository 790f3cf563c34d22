"""The documents that quote the product are held to it: the event catalog page is exactly what `hookd catalog
--markdown` prints (the catalog, its example payloads and their JSON Schemas), every example and every payload a
server sends validates against its type's schema, `hookd catalog` lists exactly the types a server offers, every
code excerpt the guide quotes is still in the file it names, and the guide's sections follow its outline."""
import copy
import datetime
import json
import os
import re
import subprocess

import jsonschema

from harness import HOOKD_BIN, ROOT

GUIDE = os.path.join(ROOT, "docs/integration-guide.md")
EVENTS = os.path.join(ROOT, "docs/events.md")
BEGIN = "<!-- hookd catalog --markdown: begin -->\n"
END = "<!-- hookd catalog --markdown: end -->"


def guide():
    with open(GUIDE, encoding="utf-8") as f:
        return f.read()


def catalog(*args):
    return subprocess.run([HOOKD_BIN, "catalog", *args], capture_output=True, text=True, check=True).stdout


def catalog_types():
    return [e for category in json.loads(catalog())["categories"] for e in category["events"]]


# Formats checked: Debian's jsonschema checks `email` and `ipv4` itself, and `date-time` only with a package Debian
# does not have, so that one is checked here (RFC 3339: a date, `T`, a time, and `Z` or an offset).
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def rfc3339(value):
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        raise ValueError(value)
    datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def validator(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=FORMATS)


def test_the_event_catalog_page_is_what_hookd_catalog_prints():
    with open(EVENTS, encoding="utf-8") as f:
        text = f.read()
    assert BEGIN in text and END in text
    section = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    assert section == catalog("--markdown"), "regenerate it: build/hookd catalog --markdown"
    for event in catalog_types():
        assert f"`{event['type']}` — " in section
        assert json.dumps(event["example"], ensure_ascii=False).replace(" ", "") in \
            section.replace(" ", "").replace("\n", ""), event["type"]
    assert BEGIN not in guide(), "the catalog has its own page"


def test_every_example_validates_against_its_types_schema_and_the_schemas_bite():
    """Each schema is a valid draft 2020-12 schema that its type's example meets, and states something: the example
    without any one of its fields, or with any field's value of the wrong type, no longer validates."""
    events = catalog_types()
    assert len(events) > 80
    for event in events:
        check = validator(event["schema"])
        assert event["schema"]["title"] == event["type"] and event["schema"]["description"]
        check.validate(event["example"])
        for name, value in event["example"].items():
            without = {k: v for k, v in event["example"].items() if k != name}
            assert not check.is_valid(without), (event["type"], name)
            wrong = dict(event["example"], **{name: [] if isinstance(value, (dict, str)) else "x"})
            assert not check.is_valid(wrong), (event["type"], name)
            if isinstance(value, dict):
                for inner in value:
                    broken = copy.deepcopy(event["example"])
                    del broken[name][inner]
                    assert not check.is_valid(broken), (event["type"], name, inner)


def test_what_a_server_sends_of_each_type_meets_its_schema(hookd, key, receiver):
    """A test send of each built-in type delivers `data` its schema accepts: the schemas describe what arrives."""
    rx = receiver()
    webhook = hookd.create_webhook(key, rx.url, ["*"])
    events = catalog_types()
    for event in events:
        r = hookd.request("POST", f"/api/v1/webhooks/{webhook['id']}/test", key, {"event_type": event["type"]})
        assert r.status == 200 and r.json["success"] is True, event["type"]
    for event in events:
        got = [q for q in rx.requests if q["headers"].get("x-webhook-event") == event["type"]]
        assert len(got) == 1, event["type"]
        validator(event["schema"]).validate(json.loads(got[0]["body"])["data"])


def test_hookd_catalog_lists_exactly_the_types_a_server_offers(hookd, key):
    """What a webhook may subscribe to is the catalog without its Operational types, which operational webhooks
    alone hear."""
    offered = hookd.request("GET", "/api/v1/webhooks/events/available", key).json["categories"]
    listed = json.loads(catalog())["categories"]
    assert [c["name"] for c in listed][-1] == "Operational"
    listed = [c for c in listed if c["name"] != "Operational"]
    assert [(c["name"], [(e["type"], e["description"]) for e in c["events"]]) for c in offered] == \
        [(c["name"], [(e["type"], e["description"]) for e in c["events"]]) for c in listed]
    assert all(isinstance(e["example"], dict) and e["example"] for c in listed for e in c["events"])


def test_every_excerpt_the_guide_quotes_is_in_its_file():
    quoted = re.findall(r"<!-- quoted from (\S+) -->\n```\w*\n(.*?)\n```", guide(), re.S)
    languages = {os.path.dirname(path) for path, _ in quoted}
    assert languages == {f"docs/examples/{lang}" for lang in ("python", "node", "go", "php", "ruby", "express")}, \
        languages
    for path, code in quoted:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            assert code in f.read(), f"the guide's excerpt of {path} is no longer in that file"


def test_the_guide_covers_its_outline_in_order():
    sections = re.findall(r"^## (.+)$", guide(), re.M)
    assert sections == ["Quickstart", "Overview", "Signature verification", "Payload formats", "Retry policy",
                        "Manual retry, replay and bulk retry", "Dead deliveries and auto-disable", "Testing locally",
                        "Configuration", "Security", "Error handling", "Best practices"]


def test_the_guide_is_white_label():
    """A platform publishes the guide as its own: nothing in it needs hookd's API keys, admin token, API paths or
    binary, which the platform's customers never get; those are in the platform's own documents."""
    text = guide()
    for internal in ("/api/v1", "hk_", "HOOKD_", "admin token", "hookd listen", "hookd trigger", "hookd catalog",
                     "hookd serve"):
        assert internal not in re.sub(r"```.*?```", "", text, flags=re.S), internal
    assert not re.search(r"\s--[a-z]", text), "a command-line flag"
    quickstart = text[text.index("## Quickstart"):text.index("## Overview")]
    assert quickstart.index("raw bytes") < quickstart.index("verify those bytes") < quickstart.index("answer `2xx`")


def test_what_the_guide_says_of_wildcards_holds_for_the_catalog(hookd, key, receiver):
    """Wildcards match name prefixes, not categories: the guide's example of a category with two prefixes must be
    one, and `task.*` must take exactly the Task category."""
    categories = {c["name"]: [e["type"] for e in c["events"]] for c in json.loads(catalog())["categories"]}
    assert "Billing has `payment.*` and `invoice.*`" in guide().replace("\n", " ")
    assert {t.split(".")[0] for t in categories["Billing"]} == {"payment", "invoice"}
    assert "(`task.*`: `task.created`, `task.completed`, …)" in guide().replace("\n", " ")
    rx = receiver()
    hookd.create_webhook(key, rx.url, ["task.*"])
    every_type = [t for name, types in categories.items() for t in types
                  if not t.startswith("webhook.") and name != "Operational"]  # hookd's own: not for POST /events
    fanned = {t: hookd.emit(key, t)["deliveries"] for t in every_type}
    assert {t for t, n in fanned.items() if n} == set(categories["Task"])


def test_the_sending_guide_lists_every_error_code_the_api_answers():
    """The error table of docs/sending-events.md against the codes in the server's source: each code an API handler
    or the HTTP layer can answer is in the table, with the status its kind maps to, and the table names no other."""
    with open(os.path.join(ROOT, "docs/sending-events.md"), encoding="utf-8") as f:
        text = f.read()
    table = text[text.index("<!-- error codes: begin -->"):text.index("<!-- error codes: end -->")]
    documented = {code: int(status) for status, code in re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", table, re.M)}
    kinds = {"kMalformed": 400, "kUnauthorized": 401, "kForbidden": 403, "kNotFound": 404, "kMethodNotAllowed": 405,
             "kConflict": 409, "kTooLarge": 413, "kUnsupportedMedia": 415, "kValidation": 422,
             "kRateLimited": 429, "kInternal": 500, "kUnavailable": 503}
    constructors = {"Conflict": 409, "Forbidden": 403, "Invalid": 422}
    answered = {}
    for folder in ("src/api", "src/common", "src/domain", "src/store", "src/delivery"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    source = f.read()
                for kind, code in re.findall(r"ErrorKind::(k\w+),\s*\"([a-z_]+)\"", source):
                    answered[code] = kinds[kind]
                for ctor, code in re.findall(r"Error::(Conflict|Forbidden)\(\s*\"([a-z_]+)\"", source):
                    answered[code] = constructors[ctor]
                for code in re.findall(r"Error::Invalid\([^;]*?\"([a-z_]+)\"\)", source):
                    answered[code] = 422
    # Commands' own refusals, never an API answer: the instance lock and key rotation (cli/, store/master_keys.cc).
    for cli_only in ("locked", "rotation_unfinished", "rotation_raced"):
        answered.pop(cli_only, None)
    assert len(answered) > 15
    assert documented == answered


def test_the_guides_isolation_bound_is_the_engines():
    with open(os.path.join(ROOT, "src/delivery/engine.h"), encoding="utf-8") as f:
        engine = f.read()
    total = int(re.search(r"size_t max_in_flight = (\d+);", engine).group(1))
    per_webhook = int(re.search(r"int max_in_flight_per_webhook = (\d+);", engine).group(1))
    text = guide().replace("\n  ", " ")
    assert f"at most {per_webhook} attempts in flight at a time, of the {total:,} a hookd process runs" in text


def test_every_link_between_the_documents_resolves():
    """Every relative link of every Markdown document names a file that exists and, when it names a section, a
    heading of that file (GitHub's anchors: lowercase, punctuation dropped, spaces as hyphens)."""
    def anchors(path):
        with open(path, encoding="utf-8") as f:
            headings = re.findall(r"^#+ (.+)$", f.read(), re.M)
        return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}

    broken = []
    checked = 0
    for dirpath, dirnames, files in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in ("node_modules", ".git") and not d.startswith("build")]
        for name in (n for n in files if n.endswith(".md")):
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                text = re.sub(r"```.*?```", "", f.read(), flags=re.S)
            for target in re.findall(r"\]\(([^)\s]+)\)", text):
                if re.match(r"[a-z]+:", target):
                    continue
                checked += 1
                file_part, _, anchor = target.partition("#")
                linked = os.path.normpath(os.path.join(dirpath, file_part)) if file_part else path
                if not os.path.exists(linked):
                    broken.append(f"{os.path.relpath(path, ROOT)}: {target}")
                elif anchor and linked.endswith(".md") and anchor not in anchors(linked):
                    broken.append(f"{os.path.relpath(path, ROOT)}: {target} (no such section)")
    assert checked > 100 and not broken, broken
