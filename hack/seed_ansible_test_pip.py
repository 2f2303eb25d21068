"""Seed ansible-test's pip bootstrap cache so `ansible-test sanity --requirements` works offline-from-CI-files.

ansible-test downloads ``get-pip-<version>.py`` from a host outside the package
registries this project may reach; when ``~/.ansible/test/cache/get_pip_<v>.py`` exists
it uses that file instead (see ansible_test/_util/target/setup/requirements.py).
We write a small stand-in that bootstraps pip with the standard library's ensurepip and
then installs the exact packages ansible-test asked for from the configured index.

Usage: python hack/seed_ansible_test_pip.py  (idempotent; prints the path it wrote)
"""
from __future__ import annotations

import os
import re
from pathlib import Path

STUB = '''\
"""Stand-in for get-pip.py written by netraven.core's `make setup` (hack/seed_ansible_test_pip.py)."""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null; drop it so pip sees the machine's config again.
os.environ.pop("PIP_CONFIG_FILE", None)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
packages = [a for a in args if not a.startswith("-")]
if packages:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *args])
'''


def pip_version() -> str:
    """Return the pip version ansible-test bootstraps (e.g. ``"24.2"``), read from its source."""
    import ansible_test  # noqa: PLC0415 - only needed here

    src = Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    match = re.search(r"default_packages = dict\(\s*pip='([^']+)'", src.read_text())
    if not match:
        raise SystemExit(f"cannot find ansible-test's pip version in {src}")
    return match.group(1)


def main() -> None:
    """Write the stub into ansible-test's cache if it is missing or outdated."""
    cache = Path(os.path.expanduser("~/.ansible/test/cache"))
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"get_pip_{pip_version().replace('.', '_')}.py"
    if not path.exists() or path.read_text() != STUB:
        path.write_text(STUB)
    print(path)


if __name__ == "__main__":
    main()
