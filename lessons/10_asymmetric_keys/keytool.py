"""Make a key pair: flask --app keytool make-keys

The blog app refuses to start without a private key (keys.py), so the command that makes its first one cannot
be a command of that app: it lives on this small Flask app of its own, which needs no key and no database.
"""
import os
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from keys import key_id

app = Flask(__name__)


@app.cli.command("make-keys")
@click.option("--folder", default="keys", show_default=True, help="where to write the two PEM files")
def make_keys_command(folder):
    """Make an Ed25519 key pair: a private key (keep it secret) and its public key (share it freely)."""
    private_key = Ed25519PrivateKey.generate()  # from the operating system's random numbers
    kid = key_id(private_key.public_key())
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_file, public_file = folder / f"{kid[:8]}.private.pem", folder / f"{kid[:8]}.public.pem"
    private_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    public_pem = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    write_new_file(private_file, private_pem, mode=0o600)  # readable by its owner only
    write_new_file(public_file, public_pem, mode=0o644)
    click.echo(f"Made a key pair, kid {kid}:\n  {private_file}  (secret: never commit it, never give it to another"
               f" service)\n  {public_file}\nTo sign with it, put in .env:\n  JWT_PRIVATE_KEY_FILE={private_file}")


def write_new_file(path, content, mode):
    """Write `content` to a file that must not exist yet: a key is never overwritten by another."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
