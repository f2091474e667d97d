"""The key pair: the private key signs tokens (only this app has it), the public keys verify them (anyone may).

- The private key comes from a PEM file that JWT_PRIVATE_KEY_FILE names (config.py reads it). Start-up refuses
  a missing key, and a key of any other kind than Ed25519, with a message that says how to make one.
- Each key has an id, its `kid`: a hash of the public key (its RFC 7638 thumbprint). Every token says in its
  header which key signed it, so a verifier knows which public key to check it with.
- Rotation: the public keys of earlier signing keys (JWT_PREVIOUS_PUBLIC_KEY_FILES) stay published and accepted
  until the tokens they signed have expired; then they are removed, and their tokens are refused.
"""
import base64
import hashlib
import json
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from jwt.algorithms import OKPAlgorithm

from config import ALGORITHM, ConfigError

MAKE_KEYS = "flask --app keytool make-keys"  # the command that makes a key pair (keytool.py)


@dataclass
class SigningKeys:
    """The key that signs new tokens, and every public key a token may name (the signing key's own first)."""

    private_key: Ed25519PrivateKey
    kid: str  # the id of the signing key
    public_keys: dict  # {kid: Ed25519PublicKey}, in the order the JWKS lists them


def load_signing_keys(config):
    """The app's keys, from the PEM texts config.py read; a ConfigError when one is missing or not usable."""
    private_key = load_private_key(config.get("JWT_PRIVATE_KEY") or "")
    kid = key_id(private_key.public_key())
    public_keys = {kid: private_key.public_key()}
    for number, pem in enumerate(config.get("JWT_PREVIOUS_PUBLIC_KEYS") or [], start=1):
        public_key = load_public_key(pem, f"JWT_PREVIOUS_PUBLIC_KEY_FILES, file {number},")
        public_keys.setdefault(key_id(public_key), public_key)
    return SigningKeys(private_key, kid, public_keys)


def load_private_key(pem):
    """The Ed25519 private key written in `pem` (PEM text), or a ConfigError that says how to make one."""
    if not pem.strip():
        raise ConfigError(f"JWT_PRIVATE_KEY_FILE is not set. Make a key pair with: {MAKE_KEYS}"
                          " (it prints the line to put in .env)")
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):  # not PEM, a public key, or a key protected by a password
        raise ConfigError("JWT_PRIVATE_KEY_FILE does not hold a PEM private key without a password."
                          f" Make a key pair with: {MAKE_KEYS}") from None
    if not isinstance(key, Ed25519PrivateKey):  # an RSA key (of any size), an EC key...: not what EdDSA signs with
        raise ConfigError(f"JWT_PRIVATE_KEY_FILE holds {kind_of(key)}; this app signs with {ALGORITHM} and needs an"
                          f" Ed25519 key. Make one with: {MAKE_KEYS}")
    return key


def load_public_key(pem, where):
    """The Ed25519 public key written in `pem`, or a ConfigError naming `where` it came from."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ConfigError(f"{where} does not hold a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{where} holds {kind_of(key)}, not an Ed25519 public key")
    return key


def kind_of(key):
    """"a key of type RSA (1024 bits)": what a wrong key is, for error messages."""
    name = type(key).__name__.removeprefix("_").replace("PrivateKey", "").replace("PublicKey", "")
    size = f" ({key.key_size} bits)" if hasattr(key, "key_size") else ""
    return f"a key of type {name}{size}"


def key_id(public_key):
    """The key's id: the SHA-256 of its JWK's required members, in base64url (RFC 7638, the JWK thumbprint).

    Computed from the key itself, so it never needs to be stored, and two different keys never share one.
    """
    jwk = OKPAlgorithm.to_jwk(public_key, as_dict=True)  # {"kty": "OKP", "crv": "Ed25519", "x": ...}
    members = json.dumps({name: jwk[name] for name in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()


def public_jwk(kid, public_key):
    """A public key as a JWK, the way /.well-known/jwks.json lists it: what it is, its id, and what it is for."""
    return {**OKPAlgorithm.to_jwk(public_key, as_dict=True), "kid": kid, "use": "sig", "alg": ALGORITHM}


def current_keys():
    """The app's SigningKeys (app.py keeps them in app.extensions)."""
    return current_app.extensions["signing_keys"]


def kid_header(identity):
    """The header every new token gets (jwt.additional_headers_loader): the id of the key that signs it."""
    return {"kid": current_keys().kid}


def verifying_key(jwt_header, jwt_payload):
    """The public key to check a token with (jwt.decode_key_loader): the one its `kid` names, if this app has it.

    The header is not verified yet: it only chooses among our own keys. The algorithm is never taken from it
    (JWT_DECODE_ALGORITHMS says EdDSA, whatever the token says). An unknown kid is an invalid token: 401.
    """
    kid = jwt_header.get("kid")
    public_key = current_keys().public_keys.get(kid) if isinstance(kid, str) else None  # a list is no kid
    if public_key is None:
        raise jwt.InvalidTokenError("the token names no key of this app")
    return public_key
