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
