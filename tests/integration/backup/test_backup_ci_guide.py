"""The CI guide's GitLab and GitHub Actions jobs, run as written against the lab (issue 15, "CI pipelines").

Both jobs are read from the guide, docs/docsite/rst/ci.rst. What runs, exactly as written: the GitLab job's ``script`` lines (``set -e``, as the
runner does) and the GitHub job's ``run`` steps (``bash -e -o pipefail``, as ``shell: bash`` does),
with the job's variables and ``${{ secrets.* }}``/``${{ runner.temp }}`` filled in as the CI would.
What does not run: GitLab's ``before_script`` and the GitHub step "Install the collection" (they
install the collection and its requirements from Galaxy and PyPI; this environment has both), and
the ``uses:`` steps (checkout, setup-python, artefact upload, JUnit publishing).

One lab of three devices; the GitHub job runs on an inventory of the two healthy ones (passes), the
GitLab job on all three, one where no credential works (fails with the gate's one-line reason).
Credentials are a vault-encrypted group_vars file, the vault password a CI secret file.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from lab.control import start

from backup_helpers import CANARIES, files_containing, lab_spec

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
GUIDE = REPO / "docs" / "docsite" / "rst" / "ci.rst"
VAULT_PASSWORD = "Canary-vaultpw-9f3"
DEVICES = ("r1-first", "r2-second", "r4-none")
REASON = "credential report: no_credential_works (1 device: r4-none)"


def _yaml_blocks(text: str) -> list[str]:
    """YAML code blocks (``.. code-block:: yaml``) of a reStructuredText page, unindented."""
    blocks = []
    for match in re.finditer(r"^( *)\.\. code-block:: ya?ml\n((?:\1 +.*\n|\s*\n)+)", text, re.M):
        body = match.group(2)
        indent = min(len(line) - len(line.lstrip()) for line in body.splitlines() if line.strip())
        blocks.append("\n".join(line[indent:] for line in body.splitlines()) + "\n")
    return blocks


def _jobs() -> tuple[dict, dict]:
    """(GitLab job, GitHub job) as the guide shows them, found by their file-name comment."""
    found = {}
    for block in _yaml_blocks(GUIDE.read_text()):
        first = block.lstrip().splitlines()[0]
        if first in ("# .gitlab-ci.yml", "# .github/workflows/credential-health.yml"):
            found[first] = yaml.safe_load(block)
    gitlab = found["# .gitlab-ci.yml"]["credential-health"]
    github = found["# .github/workflows/credential-health.yml"]["jobs"]["credential-health"]
    return gitlab, github


def _project(folder: Path, running, spec: dict, devices: tuple[str, ...]) -> Path:
    """A project checkout: devices.yml, inventory/ with vault-encrypted credentials; returns the folder."""
    (folder / "home").mkdir(parents=True)
    chosen = [d for d in spec["devices"] if d["name"] in devices]
    (folder / "devices.yml").write_text(yaml.safe_dump({"devices": [
        {"name": d["name"], "host": "127.0.0.1", "port": running.port(d["name"]), "platform": d["platform"],
         "tags": d["tags"]} for d in chosen]}))
    gv = folder / "inventory" / "group_vars" / "all"
    gv.mkdir(parents=True)
    (folder / "inventory" / "devices.netraven.yml").write_text("plugin: netraven.core.devices\nsource: ../devices.yml\n")
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    (gv / "credentials.yml").write_bytes(vault.encrypt(yaml.safe_dump({"netraven_credentials": spec["credentials"]})))
    (gv / "options.yml").write_text(yaml.safe_dump({"config_backup_command_options": {
        "enable": True, "known_hosts_file": str(running.known_hosts)}}))
    return folder


def _ci_env(folder: Path, job_env: dict, store_url: str) -> dict:
    """The environment a CI runner gives the job: PATH with the collection's tools, the job's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "JUNIT_", "NETRAVEN_"))}
    env.update({"PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
                "HOME": str(folder / "home"), "ANSIBLE_COLLECTIONS_PATH": str(REPO / "build" / "collections"),
                "ANSIBLE_LOCAL_TEMP": str(folder / "ansible-local"), "CI": "true"})
    secrets = {"NETRAVEN_METRICS_STORE": store_url, "ANSIBLE_VAULT_PASSWORD": VAULT_PASSWORD}
    env.update({k: _github_expr(str(v), secrets, folder) for k, v in job_env.items()})
    return env


def _github_expr(text: str, secrets: dict, folder: Path) -> str:
    """Fill in ``${{ secrets.X }}`` and ``${{ runner.temp }}`` as GitHub Actions does."""
    def value(match: re.Match) -> str:
        expr = match.group(1).strip()
        if expr == "runner.temp":
            return str(folder / "runner-temp")
        if expr.startswith("secrets."):
            return secrets[expr.split(".", 1)[1]]
        raise AssertionError(f"the test does not know the expression {expr!r}")
    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


@pytest.fixture(scope="module")
def ci_lab(tmp_path_factory):
    """(folder, running lab, spec) shared by the two jobs."""
    folder = tmp_path_factory.mktemp("ci")
    spec = lab_spec()
    spec["devices"] = [d for d in spec["devices"] if d["name"] in DEVICES]
    running = start(spec, state_dir=folder / "lab", watch_pid=os.getpid())
    try:
        yield folder, running, spec
    finally:
        running.stop()


def _artefacts_ok(project: Path, out: str, want_failed: bool) -> list[ET.Element]:
    """Common checks: report written, JUnit XML parsed, no secret anywhere; returns the failed test cases."""
    for name in ("report.html", "report.md", "report.json"):
        assert (project / "report" / name).is_file(), name
    xml_files = sorted((project / "report" / "junit").glob("*.xml"))
    assert len(xml_files) == 1, xml_files
    cases = ET.parse(xml_files[0]).getroot().findall(".//testcase")
    assert any("r1-first" in (c.get("name") or "") for c in cases)
    failed = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    assert bool(failed) == want_failed, [c.get("name") for c in failed]
    needles = list(CANARIES.values()) + [VAULT_PASSWORD]
    assert [n for n in needles if n in out] == []
    assert files_containing(project / "report", needles) == []
    return failed


def test_github_actions_job_passes_on_a_healthy_lab(ci_lab):
    folder, running, spec = ci_lab
    _gitlab, job = _jobs()
    project = _project(folder / "github", running, spec, ("r1-first", "r2-second"))
    (project / "runner-temp").mkdir()
    env = _ci_env(project, job.get("env", {}), f"sqlite:///{folder / 'github-metrics.db'}")
    env["RUNNER_TEMP"] = str(project / "runner-temp")
    outputs = []
    ran = []
    for step in job["steps"]:
        if "run" not in step or step.get("name") == "Install the collection":
            continue
        step_env = dict(env, **{k: _github_expr(str(v), {"ANSIBLE_VAULT_PASSWORD": VAULT_PASSWORD,
                                                         "NETRAVEN_METRICS_STORE": env["NETRAVEN_METRICS_STORE"]}, project)
                                for k, v in (step.get("env") or {}).items()})
        result = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]], cwd=project,
                                env=step_env, capture_output=True, text=True, timeout=300, check=False)
        outputs.append(result.stdout + result.stderr)
        ran.append(step["name"])
        assert result.returncode == 0, f"step {step['name']!r}: " + outputs[-1][-4000:]
    assert ran == ["Write the vault password", "Credential health check"]
    assert oct((project / "runner-temp" / "vault-password").stat().st_mode & 0o777) == "0o600"
    _artefacts_ok(project, "".join(outputs), want_failed=False)
    assert "credential report:" not in outputs[-1]


def test_gitlab_job_fails_with_the_reason_when_no_credential_works(ci_lab):
    folder, running, spec = ci_lab
    job, _github = _jobs()
    project = _project(folder / "gitlab", running, spec, DEVICES)
    secret_file = project / "vault-password-file"  # a CI/CD variable of type File
    secret_file.write_text(VAULT_PASSWORD)
    env = _ci_env(project, job.get("variables", {}), f"sqlite:///{folder / 'gitlab-metrics.db'}")
    env.update({"ANSIBLE_VAULT_PASSWORD_FILE": str(secret_file), "NETRAVEN_METRICS_STORE": f"sqlite:///{folder / 'gitlab-metrics.db'}"})
    script = "set -e\n" + "\n".join(job["script"]) + "\n"
    result = subprocess.run(["bash", "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out[-4000:]
    assert REASON in out.replace("\\n", " ")
    failed = _artefacts_ok(project, out, want_failed=True)
    # ansible-core 2.19's junit callback writes a failed task as <error message=...>, older ones as <failure>
    failure_text = " ".join((e.get("message") or "") + (e.text or "") for c in failed for e in c if e.tag in ("failure", "error"))
    assert "r4-none" in " ".join(c.get("name") or "" for c in failed)
    assert REASON in failure_text
    assert job["artifacts"]["reports"]["junit"] == "report/junit/*.xml" and "report/" in job["artifacts"]["paths"]
