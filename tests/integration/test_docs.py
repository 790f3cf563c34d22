"""The documents that quote the product are held to it: the integration guide's event catalog is exactly what
`hookd catalog --markdown` prints (the catalog and its example payloads), `hookd catalog` lists exactly the types a
server offers, every code excerpt the guide quotes is still in the file it names, and the guide's sections follow
the outline it was written from."""
import json
import os
import re
import subprocess

from harness import HOOKD_BIN, ROOT

GUIDE = os.path.join(ROOT, "docs/integration-guide.md")
BEGIN = "<!-- hookd catalog --markdown: begin -->\n"
END = "<!-- hookd catalog --markdown: end -->"


def guide():
    with open(GUIDE, encoding="utf-8") as f:
        return f.read()


def catalog(*args):
    return subprocess.run([HOOKD_BIN, "catalog", *args], capture_output=True, text=True, check=True).stdout


def test_the_guides_event_catalog_is_what_hookd_catalog_prints():
    text = guide()
    assert BEGIN in text and END in text
    section = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    assert section == catalog("--markdown"), "regenerate it: build/hookd catalog --markdown"
    for category in json.loads(catalog())["categories"]:
        for event in category["events"]:
            assert f"`{event['type']}` — " in section
            assert json.dumps(event["example"], ensure_ascii=False).replace(" ", "") in \
                section.replace(" ", "").replace("\n", ""), event["type"]


def test_hookd_catalog_lists_exactly_the_types_a_server_offers(hookd, key):
    offered = hookd.request("GET", "/api/v1/webhooks/events/available", key).json["categories"]
    listed = json.loads(catalog())["categories"]
    assert [(c["name"], [(e["type"], e["description"]) for e in c["events"]]) for c in offered] == \
        [(c["name"], [(e["type"], e["description"]) for e in c["events"]]) for c in listed]
    assert all(isinstance(e["example"], dict) and e["example"] for c in listed for e in c["events"])


def test_every_excerpt_the_guide_quotes_is_in_its_file():
    quoted = re.findall(r"<!-- quoted from (\S+) -->\n```\w*\n(.*?)\n```", guide(), re.S)
    languages = {os.path.dirname(path) for path, _ in quoted}
    assert languages == {f"docs/examples/{lang}" for lang in ("python", "node", "go", "php", "ruby")}, languages
    for path, code in quoted:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            assert code in f.read(), f"the guide's excerpt of {path} is no longer in that file"


def test_the_guide_covers_its_outline_in_order():
    sections = re.findall(r"^## (.+)$", guide(), re.M)
    assert sections == ["Overview", "Event catalog", "Signature verification", "Payload formats", "Retry policy",
                        "Manual retry, replay and bulk retry", "Dead deliveries and auto-disable", "Testing locally",
                        "Configuration", "Security", "Error handling", "Best practices"]


def test_what_the_guide_says_of_wildcards_holds_for_the_catalog(hookd, key, receiver):
    """Wildcards match name prefixes, not categories: the guide's example of a category with two prefixes must be
    one, and `task.*` must take exactly the Task category."""
    categories = {c["name"]: [e["type"] for e in c["events"]] for c in json.loads(catalog())["categories"]}
    assert "Billing has `payment.*` and `invoice.*`" in guide().replace("\n", " ")
    assert {t.split(".")[0] for t in categories["Billing"]} == {"payment", "invoice"}
    assert "(`task.*`: `task.created`, `task.completed`, …)" in guide().replace("\n", " ")
    rx = receiver()
    hookd.create_webhook(key, rx.url, ["task.*"])
    every_type = [t for types in categories.values() for t in types if not t.startswith("webhook.")]
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
