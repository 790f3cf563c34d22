"""Asymmetric signatures (SPEC §10): an ed25519 webhook's deliveries carry `webhook-signature: v1a,…` and
`webhook-key-id`, and verify with libsodium (PyNaCl) using only the account's published JWKS — no secret — before,
during and after a rotation; switching a webhook between schemes is a rotation; the key never leaves hookd."""
import base64
import json
import os
import sys

import nacl.exceptions
import nacl.signing

from harness import wait_until

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "docs", "examples", "python"))
from verify_ed25519 import PublishedKeys, verify_v1a  # noqa: E402  (the guide's example, checked here)


def jwks(h, account_id):
    """The published keys, fetched with no credential, as a receiver would: kid → libsodium verify key."""
    r = h.request("GET", f"/.well-known/hookd/{account_id}/jwks.json")
    assert r.status == 200 and "max-age" in r.headers.get("cache-control", "")
    keys = {}
    for jwk in r.json["keys"]:
        assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
        x = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        keys[jwk["kid"]] = nacl.signing.VerifyKey(x)
    return keys


def v1a_verifiers(keys, got):
    """The kids of every published key that verifies some v1a signature of the request."""
    headers, body = got["headers"], got["body"]
    message = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    verified = set()
    for entry in headers["webhook-signature"].split(" "):
        version, _, signature = entry.partition(",")
        if version != "v1a":
            continue
        for kid, key in keys.items():
            try:
                key.verify(message, base64.b64decode(signature))
                verified.add(kid)
            except nacl.exceptions.BadSignatureError:
                pass
    return verified


def test_v1a_signatures_verify_with_the_published_keys_across_a_rotation(hookd, account, receiver):
    account_id, key = account
    r = receiver()
    created = hookd.create_webhook(key, r.url, signing="ed25519")
    assert created["signing"] == "ed25519" and "secret" not in created
    assert created["public_key"].startswith("whpk_") and created["key_id"]
    first_kid = created["key_id"]
    assert set(jwks(hookd, account_id)) == {first_kid}
    guide_keys = PublishedKeys(f"{hookd.base}/.well-known/hookd/{account_id}/jwks.json")

    hookd.emit(key)
    got = wait_until(lambda: r.received(), message="first delivery")[0]
    assert got["headers"]["webhook-key-id"] == first_kid
    assert "x-webhook-signature" not in got["headers"]  # the receiver holds no secret to check it with
    assert v1a_verifiers(jwks(hookd, account_id), got) == {first_kid}
    assert verify_v1a(guide_keys, got["headers"], got["body"])
    assert not verify_v1a(guide_keys, got["headers"], got["body"] + b" ")

    rotated = hookd.request("POST", f"/api/v1/webhooks/{created['id']}/secret/rotate", key, {})
    assert rotated.status == 200 and "secret" not in rotated.json
    second_kid = rotated.json["key_id"]
    assert second_kid != first_kid
    assert set(jwks(hookd, account_id)) == {first_kid, second_kid}  # both listed for the overlap
    hookd.emit(key)
    got = wait_until(lambda: len(r.received()) == 2 and r.received(), message="delivery during the overlap")[1]
    assert got["headers"]["webhook-key-id"] == second_kid
    assert v1a_verifiers(jwks(hookd, account_id), got) == {first_kid, second_kid}  # both signatures sent
    assert verify_v1a(guide_keys, got["headers"], got["body"])  # an unknown key id: the example fetches again
    assert set(guide_keys.keys) == {first_kid, second_kid}

    shown = hookd.request("GET", f"/api/v1/webhooks/{created['id']}/secret", key).json
    assert shown == {"signing": "ed25519", "key_id": second_kid, "public_key": rotated.json["public_key"]}
    custom = hookd.request("POST", f"/api/v1/webhooks/{created['id']}/secret/rotate", key,
                           {"secret": "whsec_" + base64.b64encode(b"k" * 32).decode()})
    assert custom.status == 422 and custom.json["error"]["details"][0]["field"] == "secret"


def test_switching_schemes_is_a_rotation(hookd, account, receiver):
    account_id, key = account
    r = receiver()
    created = hookd.create_webhook(key, r.url)
    secret = created["secret"]
    switched = hookd.request("PATCH", f"/api/v1/webhooks/{created['id']}", key, {"signing": "ed25519"})
    assert switched.status == 200 and switched.json["signing"] == "ed25519"
    kid = switched.json["key_id"]
    hookd.emit(key)
    got = wait_until(lambda: r.received(), message="delivery")[0]
    signatures = got["headers"]["webhook-signature"].split(" ")
    assert [s.split(",")[0] for s in signatures] == ["v1a", "v1"]  # the HMAC secret signs on for the overlap
    assert v1a_verifiers(jwks(hookd, account_id), got) == {kid}
    from harness import verify_standard_webhooks
    assert verify_standard_webhooks(secret, got["headers"], got["body"])
    back = hookd.request("PATCH", f"/api/v1/webhooks/{created['id']}", key, {"signing": "hmac-sha256"})
    assert back.status == 200 and back.json["signing"] == "hmac-sha256" and "key_id" not in back.json
    assert set(jwks(hookd, account_id)) == {kid}  # still signing during its overlap


def test_bad_signing_input_and_unknown_accounts(hookd, account, receiver):
    account_id, key = account
    r = receiver()
    for body in ({"signing": "rsa"}, {"signing": 1},
                 {"signing": "ed25519", "secret": "whsec_" + base64.b64encode(b"k" * 32).decode()}):
        bad = hookd.request("POST", "/api/v1/webhooks?verify=false", key, {"url": r.url, "events": ["*"], **body})
        assert bad.status == 422, body
    assert hookd.request("GET", "/api/v1/webhooks", key).json["data"] == []
    assert hookd.request("GET", "/.well-known/hookd/acc_nope/jwks.json").status == 404
    assert jwks(hookd, account_id) == {}
    created = hookd.create_webhook(key, r.url, signing="ed25519")
    hookd.emit(key)
    wait_until(lambda: r.received(), message="delivery")
    listed = hookd.request("GET", "/api/v1/webhooks", key).json
    assert "whsk_" not in json.dumps(created) + json.dumps(listed) + hookd.log()  # the key never leaves hookd
