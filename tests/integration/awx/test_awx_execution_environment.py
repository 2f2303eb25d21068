"""The execution environment as docs/docsite/rst/awx.rst (section 1) builds it, from a fresh copy of the tree.

No container engine runs here, so the test runs the guide's steps literally up to what ansible-builder
does without one (``ansible-builder create`` in place of ``ansible-builder build``, no push), then
plays the image build's two stages that matter for the collection on this machine: the galaxy stage
(the Containerfile's own commands around ``/tmp/collections``, then ``ansible-galaxy collection install``
of the generated requirements) and the builder stage's dependency scan (``ansible-builder introspect``).
"""
from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import yaml

# PyYAML is left out on purpose: ansible-builder drops it as part of ansible-core itself.
RUNTIME_PACKAGES = ("netmiko", "paramiko", "psycopg")


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    return subprocess.run(args, env=env, cwd=cwd, check=True, capture_output=True, text=True).stdout


def _fresh_tree(repo_root: Path, dest: Path) -> Path:
    """The files a clone of the branch would hold (tracked plus new, not ignored), without build/ or .venv."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo_root,
                           check=True, capture_output=True).stdout
    dest.mkdir(parents=True)
    subprocess.run(["rsync", "-a", "--from0", "--files-from=-", "./", str(dest)], cwd=repo_root, input=files, check=True)
    return dest


def _guide_steps(guide: Path) -> list[str]:
    """The shell lines of the ``.. code-block:: bash`` that follows ``.. ee-build-steps`` in the guide."""
    match = re.search(r"^\.\. ee-build-steps\n\n\.\. code-block:: bash\n\n((?:(?:   .*)?\n)+)", guide.read_text(), re.M)
    assert match, f"{guide}: no bash block after '.. ee-build-steps'"
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


def test_guide_steps_give_a_context_with_the_collection(repo_root: Path, tmp_path: Path, ansible_env: dict[str, str]) -> None:
    clone = _fresh_tree(repo_root, tmp_path / "clone")
    version = yaml.safe_load((clone / "galaxy.yml").read_text())["version"]
    steps = _guide_steps(clone / "docs" / "docsite" / "rst" / "awx.rst")
    builds = [s for s in steps if s.startswith("ansible-builder build ")]
    assert len(builds) == 1 and any(s.startswith("ansible-galaxy collection build ") for s in steps), steps
    for step in steps:
        args = shlex.split(step)
        if args[:2] == ["podman", "push"]:
            continue  # nothing was built to push
        if args[:2] == ["ansible-builder", "build"]:  # `create` is `build` without the container engine
            tag = args.index("-t")
            args = ["ansible-builder", "create"] + args[2:tag] + args[tag + 2:]
        _run(args, ansible_env, clone)

    context = clone / "context"
    containerfile = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.is_file()).read_text()
    assert (context / "_build" / "collections" / f"netraven-core-{version}.tar.gz").is_file()
    assert "ansible-core" in containerfile and "ansible-runner" in containerfile and "introspect" in containerfile
    no_version = re.sub(r"\d+\.\d+\.\d+", "", (clone / "docs" / "execution-environment.yml").read_text())
    assert (clone / "docs" / "execution-environment.yml").read_text() == no_version, "a version is written in the EE file"

    # The galaxy stage: its /tmp/collections steps, then the collection install of the requirements.
    staging = tmp_path / "stage-tmp-collections"
    galaxy_stage = containerfile.split("AS galaxy", 1)[1].split("\nFROM ", 1)[0]
    copy_line = "COPY _build/collections/ /tmp/collections/"
    assert copy_line in galaxy_stage, galaxy_stage
    subprocess.run(["cp", "-r", str(context / "_build" / "collections"), str(staging)], check=True)
    for line in galaxy_stage.splitlines():
        if line.startswith("RUN ") and "/tmp/collections" in line:
            subprocess.run(line[4:].replace("/tmp/collections", str(staging)), shell=True, check=True)
    requirements = (context / "_build" / "requirements.yml").read_text().replace("/tmp/collections", str(staging))
    (tmp_path / "requirements.yml").write_text(requirements)
    installed = tmp_path / "usr-share-ansible-collections"
    image_env = {k: v for k, v in ansible_env.items() if k != "ANSIBLE_CONFIG"}
    image_env["ANSIBLE_COLLECTIONS_PATH"] = str(installed)  # an image has no other copy of the collection
    _run(["ansible-galaxy", "collection", "install", "--offline", "-r", str(tmp_path / "requirements.yml"),
          "--collections-path", str(installed)], image_env, tmp_path)
    manifest = yaml.safe_load((installed / "ansible_collections" / "netraven" / "core" / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["version"] == version

    # The builder stage: introspection finds the collection's Python and system dependencies.
    data = yaml.safe_load(_run(["ansible-builder", "introspect", "--sanitize", str(installed)], ansible_env, tmp_path))
    python = " ".join(data["python"])
    for package in RUNTIME_PACKAGES:
        assert package in python, f"{package} missing from the EE python deps: {data['python']}"
    assert "netraven.core" in python, "deps should be attributed to the collection"
    system = [line.split("#")[0].split()[0] for line in data["system"]]
    assert "git" in system and any(name.startswith("libpq") for name in system), data["system"]
