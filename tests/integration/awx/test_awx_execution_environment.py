"""The execution environment files: ansible-builder builds a context from them and finds our deps.

No container engine runs here, so the test stops at what ansible-builder does without one:
`ansible-builder create` (the build context and Containerfile) and `ansible-builder introspect`
(the dependency scan the image build runs over every installed collection).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

# PyYAML is left out on purpose: ansible-builder drops it as part of ansible-core itself.
RUNTIME_PACKAGES = ("netmiko", "paramiko", "psycopg")


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    return subprocess.run(args, env=env, cwd=cwd, check=True, capture_output=True, text=True).stdout


def _build_tarball(repo_root: Path, out: Path, env: dict[str, str]) -> Path:
    version = yaml.safe_load((repo_root / "galaxy.yml").read_text())["version"]
    _run(["ansible-galaxy", "collection", "build", "--force", "--output-path", str(out), str(repo_root)], env, repo_root)
    return out / f"netraven-core-{version}.tar.gz"


def test_collection_declares_runtime_deps(repo_root: Path, tmp_path: Path, ansible_env: dict[str, str]) -> None:
    tarball = _build_tarball(repo_root, tmp_path, ansible_env)
    installed = tmp_path / "installed"
    _run(["ansible-galaxy", "collection", "install", "--offline", "--force", "-p", str(installed), str(tarball)], ansible_env, tmp_path)

    data = yaml.safe_load(_run(["ansible-builder", "introspect", "--sanitize", str(installed)], ansible_env, tmp_path))
    python = " ".join(data["python"])
    for package in RUNTIME_PACKAGES:
        assert package in python, f"{package} missing from the EE python deps: {data['python']}"
    assert "netraven.core" in python, "deps should be attributed to the collection"
    assert any(line.startswith("libpq") for line in data["system"]), data["system"]


def test_builder_create_context(repo_root: Path, tmp_path: Path, ansible_env: dict[str, str]) -> None:
    # Lay out the example EE definition as it sits in the repository, tarball included.
    (tmp_path / "docs").mkdir()
    for name in ("execution-environment.yml", "ee-galaxy-requirements.yml"):
        shutil.copy(repo_root / "docs" / name, tmp_path / "docs" / name)
    tarball = _build_tarball(repo_root, tmp_path / "build" / "dist", ansible_env)

    context = tmp_path / "context"
    _run(["ansible-builder", "create", "-f", "docs/execution-environment.yml", "-c", str(context),
          "--output-filename", "Containerfile"], ansible_env, tmp_path)

    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy" in containerfile and "introspect" in containerfile
    assert (context / "_build" / "collections" / tarball.name).is_file()
    galaxy_reqs = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert galaxy_reqs["collections"][0]["name"].endswith(tarball.name)
    assert "ansible-core" in containerfile and "ansible-runner" in containerfile
