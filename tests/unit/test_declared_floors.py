"""What the collection declares it runs on is what CI tests.

- requirements.txt's floors are exactly the versions requirements-2.16.txt pins for the oldest-stack
  run (`make test-2.16`), and cli_command's ``requirements:`` names the same netmiko and paramiko floors;
- meta/runtime.yml's requires_ansible spans exactly the tested ansible-core releases: the 2.16 series
  of requirements-2.16.txt up to the ceiling of requirements-dev.txt (2.19 in `make test`);
- the netmiko installed here has the private hook cli_command replaces (in the 2.16 run that is the
  declared floor itself).
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _requirements(name: str) -> dict[str, Requirement]:
    """Requirement lines of ``name`` (comments, options and ``-r`` lines skipped), by lower-case project name."""
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            found[req.name.lower()] = req
    return found


def _only(req: Requirement, operator: str) -> str:
    """The version of ``req``'s single specifier, which must use ``operator``."""
    (spec,) = req.specifier
    assert spec.operator == operator, f"{req}: expected one '{operator}' specifier"
    return spec.version


def test_runtime_floors_are_the_pinned_versions_of_the_oldest_stack() -> None:
    declared = _requirements("requirements.txt")
    oldest = _requirements("requirements-2.16.txt")
    for name, req in declared.items():
        assert name in oldest, f"{name} is declared but the oldest-stack run does not pin it"
        assert _only(oldest[name], "==") == _only(req, ">="), name
        assert oldest[name].extras == req.extras, name


def test_module_requirements_name_the_same_floors() -> None:
    text = (ROOT / "plugins" / "modules" / "cli_command.py").read_text()
    documented = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', text, re.S).group(1))["requirements"]
    declared = _requirements("requirements.txt")
    assert documented == [f"netmiko >= {_only(declared['netmiko'], '>=')}", f"paramiko >= {_only(declared['paramiko'], '>=')}"]


def test_requires_ansible_spans_exactly_the_tested_releases() -> None:
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    oldest = {s.operator: s.version for s in _requirements("requirements-2.16.txt")["ansible-core"].specifier}
    newest = {s.operator: s.version for s in _requirements("requirements-dev.txt")["ansible-core"].specifier}
    assert oldest == {">=": "2.16", "<": "2.17"}
    assert runtime["requires_ansible"] == f">={oldest['>=']}.0,<{newest['<']}.0"


def test_installed_netmiko_has_the_ssh_client_hook() -> None:
    from netmiko.base_connection import BaseConnection

    assert callable(getattr(BaseConnection, "_get_ssh_client_instance", None)), (
        "cli_command replaces BaseConnection._get_ssh_client_instance (netmiko >= 4.7.0) to read the userauth banner")
