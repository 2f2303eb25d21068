"""The collection builds, installs from its tarball and documents every plugin it ships."""
from __future__ import annotations

import re
import subprocess
import tarfile
from pathlib import Path

import yaml

PLUGIN_DIRS = ("inventory", "lookup", "modules", "filter", "test", "callback", "connection")


def shipped_plugins(root: Path) -> list[tuple[str, str]]:
    """(ansible-doc type, FQCN) for every public plugin file in plugins/."""
    doc_type = {"modules": "module"}
    found = []
    for kind in PLUGIN_DIRS:
        for path in sorted((root / "plugins" / kind).glob("*.py")):
            if not path.name.startswith("_"):
                found.append((doc_type.get(kind, kind), f"netraven.core.{path.stem}"))
    return found


def test_galaxy_metadata(repo_root: Path) -> None:
    meta = yaml.safe_load((repo_root / "galaxy.yml").read_text())
    assert (meta["namespace"], meta["name"]) == ("netraven", "core")
    runtime = yaml.safe_load((repo_root / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == ">=2.16.0,<2.20.0"


def test_build_install_and_doc(repo_root: Path, tmp_path: Path, ansible_env: dict[str, str]) -> None:
    version = yaml.safe_load((repo_root / "galaxy.yml").read_text())["version"]
    subprocess.run(
        ["ansible-galaxy", "collection", "build", "--force", "--output-path", str(tmp_path), str(repo_root)],
        check=True, env=ansible_env, capture_output=True, text=True,
    )
    tarball = tmp_path / f"netraven-core-{version}.tar.gz"
    assert tarball.is_file()
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    assert "galaxy.yml" not in names and "MANIFEST.json" in names
    # Galaxy's importer refuses a role without README.md; the GPL text ships with the code.
    assert "LICENSE" in names
    with tarfile.open(tarball) as tar:
        license_text = tar.extractfile("LICENSE").read().decode()
    assert "GNU GENERAL PUBLIC LICENSE" in license_text and "Version 3, 29 June 2007" in license_text
    roles = sorted(p.name for p in (repo_root / "roles").iterdir() if p.is_dir())
    assert roles and all(f"roles/{role}/README.md" in names for role in roles), roles
    assert not any(n.startswith((".venv", "build/", "tests/output")) for n in names)
    # The tests need the lab, bench and the root conftest.py, none of which ship: no test code ships (issue 18
    # item 21; sanity ignore files under tests/sanity would), and nothing shipped imports what is left out.
    assert not [n for n in names if n.startswith("tests/") and not n.startswith("tests/sanity")
                and n not in ("tests/unit", "tests/integration")], sorted(n for n in names if n.startswith("tests"))
    left_out = re.compile(r"^\s*(?:from|import)\s+(?:lab|bench|hack|conftest)\b", re.MULTILINE)
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(".py"):
                match = left_out.search(tar.extractfile(member).read().decode("utf-8"))
                assert match is None, (member.name, match and match.group(0))

    # Install into an empty collections path and ask ansible-doc about it from there only.
    install_path = tmp_path / "installed"
    env = dict(ansible_env, ANSIBLE_COLLECTIONS_PATH=str(install_path))
    env.pop("ANSIBLE_CONFIG")
    subprocess.run(
        ["ansible-galaxy", "collection", "install", "--offline", "-p", str(install_path), str(tarball)],
        check=True, env=env, capture_output=True, text=True, cwd=tmp_path,
    )
    listed = subprocess.run(
        ["ansible-galaxy", "collection", "list", "netraven.core", "-p", str(install_path)],
        check=True, env=env, capture_output=True, text=True, cwd=tmp_path,
    ).stdout
    assert f"netraven.core {version}" in " ".join(listed.split())
    for doc_type, fqcn in shipped_plugins(repo_root):
        out = subprocess.run(
            ["ansible-doc", "-t", doc_type, fqcn], env=env, capture_output=True, text=True, cwd=tmp_path, check=False,
        )
        assert out.returncode == 0, f"ansible-doc {fqcn}: {out.stderr}"
        assert "EXAMPLES" in out.stdout and ("RETURN" in out.stdout or doc_type == "inventory"), fqcn


def test_changelog_lists_every_plugin_and_role(repo_root: Path, tmp_path: Path, ansible_env: dict[str, str]) -> None:
    """A release changelog built from a copy of the tree names every plugin, module and role as new.

    antsibull-changelog lists an object under "New ..." only when its docs carry ``version_added``
    (for a role: the entry point in ``meta/argument_specs.yml``).
    """
    version = yaml.safe_load((repo_root / "galaxy.yml").read_text())["version"]
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo_root, check=True, capture_output=True).stdout
    copy = tmp_path / "ansible_collections" / "netraven" / "core"
    copy.mkdir(parents=True)
    subprocess.run(["rsync", "-a", "--from0", "--files-from=-", "./", str(copy)], cwd=repo_root, input=tracked, check=True)
    subprocess.run(["antsibull-changelog", "release", "--version", version, "--date", "2026-01-01"],
                   cwd=copy, env=ansible_env, check=True, capture_output=True, text=True)
    changelog = (copy / "CHANGELOG.rst").read_text()
    roles = sorted(p.name for p in (repo_root / "roles").iterdir() if (p / "meta" / "argument_specs.yml").is_file())
    new_roles = changelog.split("New Roles", 1)[1] if "New Roles" in changelog else ""
    assert roles and all(f"netraven.core.{role} - " in new_roles for role in roles), changelog
    for _doc_type, fqcn in shipped_plugins(repo_root):
        assert f"- {fqcn} - " in changelog, fqcn
