"""The verifier refuses each forgery for its own reason, and the key ring follows RFC 7638."""

from __future__ import annotations

import os
import stat

import pytest

from stockflow.settings import Settings
from stockflow.users.keys import KeyRing, development_key, generate_pem, thumbprint
from stockflow.users.tokens import InvalidToken, TokenService
from tests.e2e.test_auth_tokens import forgeries

REASONS = {
    "not a jwt": "not a JWT", "alg none": "'none' is not accepted",
    "alg none, no signature part": "not a JWT", "HS256 keyed with the public key": "'HS256'",
    "RS512 with the right key": "'RS512'", "PS256 with the right key": "'PS256'",
    "unknown kid": "unknown signing key", "our kid, another key": "Signature verification",
    "no kid": "unknown signing key", "expired beyond the leeway": "expired",
    "issued in the future": "(iat)", "not valid before a future time": "(nbf)",
    "wrong issuer": "Invalid issuer", "wrong audience": "Audience",
    "no exp": '"exp"', "no iss": '"iss"', "no aud": '"aud"', "no sub": '"sub"',
    "tampered tier": "Signature verification", "truncated signature": "Signature verification",
    "unknown tier": "no known tier", "unknown permission": "unknown permissions",
    "refresh token as access token": "not a JWT", "refresh-typed JWT": "not an access token",
    "plain JWT typ": "not an access token",
}


class _Holder:
    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens

    def port(self, kind: type) -> TokenService:
        return self.tokens


@pytest.fixture(scope="module")
def tokens() -> TokenService:
    svc = TokenService(issuer="stockflow", audience="stockflow-api", access_ttl=900, leeway=30)
    svc.use_keys(KeyRing.from_pems([generate_pem()]))
    return svc


def test_each_forgery_is_refused_for_its_own_reason(tokens):
    table = forgeries(_Holder(tokens), "an-opaque-refresh-token")
    assert set(table) == set(REASONS)
    for name, token in table.items():
        with pytest.raises(InvalidToken, match=None) as info:
            tokens.verify(token)
        assert REASONS[name] in str(info.value), (name, str(info.value))


def test_expiry_within_the_leeway_passes_and_beyond_it_fails(tokens):
    now = [1_800_000_000.0]
    svc = TokenService(issuer="stockflow", audience="stockflow-api", access_ttl=900, leeway=30,
                       now=lambda: now[0])
    svc.use_keys(tokens.ring)
    token, _ = svc.issue(user_id="u", email="u@example.com", tier="free",
                         permissions=frozenset({"read:quotes"}))
    assert svc.verify(token).tier == "free"
    now[0] += 900 + 29  # past exp, within the leeway (served from the verified cache)
    assert svc.verify(token).subject == "u"
    now[0] += 2
    with pytest.raises(InvalidToken, match="expired"):
        svc.verify(token)


def test_a_rotation_signs_with_the_first_key_and_verifies_with_all(tokens):
    old = tokens.ring.keys[0]
    new_pem = generate_pem()
    rotated = TokenService(issuer="stockflow", audience="stockflow-api", access_ttl=900,
                           leeway=30)
    before, _ = tokens.issue(user_id="u", email="u@example.com", tier="pro",
                             permissions=frozenset())
    rotated.use_keys(KeyRing([KeyRing.from_pems([new_pem]).signing, old]))
    after, _ = rotated.issue(user_id="u", email="u@example.com", tier="pro",
                             permissions=frozenset())
    assert rotated.verify(before).subject == rotated.verify(after).subject == "u"
    assert [k["kid"] for k in rotated.ring.jwks()["keys"]][1] == old.kid
    with pytest.raises(InvalidToken, match="unknown signing key"):
        tokens.verify(after)  # the old ring does not know the new key


def test_kid_is_the_rfc_7638_thumbprint():
    # RFC 7638 §3.1's example key and its thumbprint.
    jwk = {"kty": "RSA", "e": "AQAB", "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0"
        "_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWh"
        "AI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")}
    assert thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_the_development_key_is_private_and_survives_a_restart(tmp_path):
    first = development_key(tmp_path)
    path = next((tmp_path / "keys").iterdir())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert development_key(tmp_path) == first
    assert KeyRing.from_pems([first]).signing.kid == KeyRing.from_pems([first]).signing.kid


def test_production_refuses_to_start_without_signing_keys(tmp_path):
    with pytest.raises(ValueError, match="SIGNING_KEYS"):
        Settings(environment="production", data_dir=tmp_path,
                 control={"api_key": "an operator key"})
    Settings(environment="production", data_dir=tmp_path,
             control={"api_key": "an operator key"},
             auth={"signing_keys": [generate_pem().decode()]})


def test_settings_refuse_argon2_below_the_owasp_baseline(tmp_path):
    for weak in ({"argon2_memory_kib": 4096}, {"argon2_time_cost": 1}):
        with pytest.raises(ValueError):
            Settings(data_dir=tmp_path, auth=weak)
