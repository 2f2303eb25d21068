"""Host keys for lab devices: Ed25519, derived from the device name so they stay stable.

The seed is SHA-256 of ``netraven-lab-host-key:<device name>``; the same device name gives the
same key in every lab run, on every machine. ``rotate_host_key: true`` devices get a fresh random
key per SSH connection instead (to provoke host-key mismatches).
"""
from __future__ import annotations

import hashlib
import io
import os

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _from_seed(seed: bytes) -> paramiko.PKey:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
    return paramiko.Ed25519Key(file_obj=io.StringIO(pem.decode("ascii")))


def device_host_key(device_name: str) -> paramiko.PKey:
    """The stable Ed25519 host key (paramiko key, private part included) of ``device_name``."""
    return _from_seed(hashlib.sha256(b"netraven-lab-host-key:" + device_name.encode("utf-8")).digest())


def random_host_key() -> paramiko.PKey:
    """A new random Ed25519 host key (for ``rotate_host_key``)."""
    return _from_seed(os.urandom(32))


def public_line(key: paramiko.PKey) -> str:
    """``'ssh-ed25519 AAAA...'``: the public key as it appears in known_hosts."""
    return f"{key.get_name()} {key.get_base64()}"
