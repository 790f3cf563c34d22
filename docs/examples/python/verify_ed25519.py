#!/usr/bin/env python3
"""Verifying public-key (Ed25519, `v1a`) webhook signatures with libsodium through PyNaCl, holding no secret.

The endpoint knows only the address of the account's published keys (a JWKS document). It fetches them once,
verifies `v1a,<base64 signature>` entries over "webhook-id.webhook-timestamp.body" with them, and fetches them
again when a request names a key id it has not seen (after a key rotation).

    pip install pynacl    # Debian: apt install python3-nacl
"""
import base64
import json
import time
import urllib.request

import nacl.exceptions
import nacl.signing

TOLERANCE_S = 5 * 60


class PublishedKeys:
    """The account's public keys by key id, refreshed when an unknown key id arrives."""

    def __init__(self, jwks_url):
        self.jwks_url = jwks_url
        self.keys = {}

    def refresh(self):
        with urllib.request.urlopen(self.jwks_url, timeout=10) as response:
            document = json.load(response)
        self.keys = {}
        for jwk in document["keys"]:
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                x = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
                self.keys[jwk["kid"]] = nacl.signing.VerifyKey(x)

    def get(self, key_id):
        if key_id not in self.keys:
            self.refresh()
        return self.keys.get(key_id)


def verify_v1a(keys, headers, body):
    """True when the request carries a recent `v1a` signature made by a published key."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    key_id = headers.get("webhook-key-id")
    if not (msg_id and timestamp and signatures and key_id):
        return False
    try:
        if abs(time.time() - int(timestamp)) > TOLERANCE_S:
            return False
    except ValueError:
        return False
    candidates = [keys.get(key_id)] + [k for kid, k in keys.keys.items() if kid != key_id]  # a rotation's old key
    signed = f"{msg_id}.{timestamp}.".encode() + body
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version != "v1a":
            continue
        for key in filter(None, candidates):
            try:
                key.verify(signed, base64.b64decode(signature))
                return True
            except (nacl.exceptions.BadSignatureError, ValueError):
                continue
    return False
