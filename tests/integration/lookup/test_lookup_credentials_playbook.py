"""netraven.core.credentials through real `ansible-playbook` runs (connection: local).

Credentials are vault-encrypted the way users do it (`ansible-vault encrypt_string` into group_vars,
`ansible-vault encrypt` for a credentials file); passwords full of Jinja, shell and YAML
specials must arrive byte-exact, and no password may appear in the -vvvv output.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

VAULT_PW = "lookup-it-vault-pw"
OTHER_VAULT_PW = "a-password-this-run-never-gets"

# One canary per password so a leak names itself; every Jinja/YAML/shell special the issue lists.
SPECIAL = [
    "Canary-quote-9f3 it's \"double\" and 'single'",
    "Canary-dollar-9f3 $HOME ${PATH} $(id) `id`",
    "Canary-pct-9f3 100% %s %(x)s %%",
    "{{ lookup('pipe','id') }} Canary-jinja-9f3",
    "p{{x}} a{%b Canary-brace-9f3 {{",
    "{# comment #} Canary-hash-9f3",
    "  Canary-space-9f3 inner  spaces  ",
    "Pässwörd-ñ-日本語-Canary-utf8-9f3 ✓",
]
ENABLE = "Canary-enable-9f3 {{ enable }} %"
CISCO = "Canary-cisco-9f3 #!'"

INVENTORY = {
    "all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "hosts": {
            "nyc-core-01": {"netraven_tags": ["site-nyc", "cisco", "core", "default"]},
            "nyc-edge-01": {"netraven_tags": ["site-nyc", "juniper", "edge", "default"]},
            "lon-fw-01": {"netraven_tags": ["site-lon", "paloalto", "firewall", "default"]},
            "special-01": {"netraven_tags": ["special", "default"]},
        },
    }
}


def vault_strings(values: list[str], password_file: Path, env: dict[str, str]) -> list[str]:
    """Ciphertexts of ``values`` from one `ansible-vault encrypt_string` call."""
    names = ["v%d" % i for i in range(len(values))]
    args = ["ansible-vault", "encrypt_string", "--vault-password-file", str(password_file)]
    for name in names:
        args += ["--name", name]
    out = subprocess.run(args + ["--", *values], check=True, env=env, capture_output=True, text=True).stdout
    loader = type("VaultText", (yaml.SafeLoader,), {})
    loader.add_constructor("!vault", lambda ldr, node: ldr.construct_scalar(node))
    parsed = yaml.load(out, Loader=loader)  # noqa: S506 - SafeLoader subclass
    return [parsed[name] for name in names]


def vault_yaml(ciphertext: str, indent: int) -> str:
    """A `!vault |` block scalar for a YAML mapping value at ``indent`` spaces."""
    pad = " " * (indent + 2)
    return "!vault |\n" + "".join(pad + line + "\n" for line in ciphertext.strip().splitlines())


def credentials_yaml(creds: list[dict]) -> str:
    """YAML for a credential list where values given as ("vault", ciphertext) become !vault blocks."""
    lines = ["netraven_credentials:"]
    for cred in creds:
        first = True
        for key, value in cred.items():
            prefix = "  - " if first else "    "
            first = False
            if isinstance(value, tuple):
                lines.append("%s%s: %s" % (prefix, key, vault_yaml(value[1], 4).rstrip("\n")))
            else:
                lines.append("%s%s: %s" % (prefix, key, yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()))
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(tmp_path: Path, ansible_env: dict[str, str]) -> Path:
    """A playbook directory: inventory, vaulted group_vars, an encrypted credentials file, vault password files."""
    (tmp_path / "vault-pw").write_text(VAULT_PW + "\n")
    (tmp_path / "other-pw").write_text(OTHER_VAULT_PW + "\n")
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    secrets = vault_strings([CISCO, ENABLE, "Canary-juniper-9f3", *SPECIAL], tmp_path / "vault-pw", ansible_env)
    (foreign,) = vault_strings(["Canary-foreign-9f3"], tmp_path / "other-pw", ansible_env)
    creds = [
        {"name": "cisco_admin", "username": "cadmin", "password": ("vault", secrets[0]), "enable_secret": ("vault", secrets[1]),
         "priority": 10, "tags": ["cisco"]},
        {"name": "juniper_admin", "username": "jadmin", "password": "{{ juniper_password }}", "priority": 20, "tags": ["juniper"]},
        {"name": "backup_admin", "username": "backup", "ssh_key_file": "~/.ssh/backup", "priority": 30, "tags": ["default"]},
        # vaulted with a password this run does not have: fine as long as no host needs it
        {"name": "nokia_team", "username": "nk", "password": ("vault", foreign), "priority": 5, "tags": ["nokia"]},
    ]
    creds += [{"name": "spec_%d" % i, "username": "u%d" % i, "password": ("vault", secret), "priority": i, "tags": ["special"]}
              for i, secret in enumerate(secrets[3:])]
    group_vars = tmp_path / "group_vars" / "all"
    group_vars.mkdir(parents=True)
    (group_vars / "credentials.yml").write_text(credentials_yaml(creds))
    (group_vars / "vault.yml").write_text("juniper_password: %s" % vault_yaml(secrets[2], 0))
    # The same special passwords in a credentials file (list shape), ansible-vault encrypted as a whole.
    files = tmp_path / "files"
    files.mkdir()
    file_creds = [{"name": "file_%d" % i, "username": "f%d" % i, "password": pw, "tags": ["special"], "priority": i}
                  for i, pw in enumerate(SPECIAL)]
    (files / "credentials.yml").write_text(yaml.safe_dump(file_creds, allow_unicode=True), encoding="utf-8")
    subprocess.run(["ansible-vault", "encrypt", "--vault-password-file", str(tmp_path / "vault-pw"), str(files / "credentials.yml")],
                   check=True, env=ansible_env, capture_output=True)
    (tmp_path / "out").mkdir()
    return tmp_path


def hermetic(env: dict[str, str]) -> dict[str, str]:
    """``env`` without NETRAVEN_* settings from the developer's shell (a metrics store would change the order)."""
    return {key: value for key, value in env.items() if not key.startswith("NETRAVEN_")}


def playbook(project: Path, env: dict[str, str], text: str, *extra: str) -> subprocess.CompletedProcess:
    """Run ``text`` as play.yml at -vvvv with the vault password; NETRAVEN_* settings come only from ``env`` as the test set it."""
    (project / "play.yml").write_text(text)
    return subprocess.run(
        ["ansible-playbook", "-vvvv", "-i", "inventory.yml", "--vault-password-file", "vault-pw", "play.yml", *extra],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )


HAPPY = r"""
- name: Credentials lookup, end to end
  hosts: all
  gather_facts: false
  vars:
    out: "{{ playbook_dir }}/out"
  tasks:
    - name: Order of the credentials per host (names only)
      ansible.builtin.copy:
        content: "{{ lookup('netraven.core.credentials', inventory_hostname) | map(attribute='name') | join(',') }}"
        dest: "{{ out }}/{{ inventory_hostname }}.order"
        mode: "0600"

    - name: Every credential of the vaulted group_vars, as a task receives it (name, password, enable secret)
      ansible.builtin.copy:
        content: "{% for c in creds %}{{ c.name }}\x1f{{ c.password or '' }}\x1f{{ c.enable_secret or '' }}\x1e{% endfor %}"
        dest: "{{ out }}/{{ inventory_hostname }}-var.secrets"
        mode: "0600"
      vars:
        creds: "{{ query('netraven.core.credentials', inventory_hostname)[0] }}"
      no_log: true

    - name: The same from the vault-encrypted credentials file (found in files/)
      ansible.builtin.copy:
        content: "{% for c in creds %}{{ c.name }}\x1f{{ c.password or '' }}\x1f{{ c.enable_secret or '' }}\x1e{% endfor %}"
        dest: "{{ out }}/{{ inventory_hostname }}-file.secrets"
        mode: "0600"
      vars:
        creds: "{{ lookup('netraven.core.credentials', inventory_hostname, credentials_file='credentials.yml', wantlist=true)[0] }}"
      when: inventory_hostname == 'special-01'
      no_log: true

    - name: Several hosts in one call, and an explicit tag list
      ansible.builtin.copy:
        content: |
          {{ query('netraven.core.credentials', groups['all']) | map('map', attribute='name') | map('join', ',') | join(';') }}
          {{ lookup('netraven.core.credentials', tags=['juniper']) | map(attribute='name') | join(',') }}
          {{ lookup('netraven.core.credentials', 'lon-fw-01', 'nyc-edge-01') | map('map', attribute='name') | map('join', ',') | join(';') }}
          {{ query('netraven.core.credentials', 'lon-fw-01') | map('map', attribute='name') | map('join', ',') | join(';') }}
        dest: "{{ out }}/multi.txt"
        mode: "0600"
      run_once: true
"""


def test_vaulted_credentials_arrive_byte_exact_and_never_in_output(project: Path, ansible_env: dict[str, str]) -> None:
    result = playbook(project, hermetic(ansible_env), HAPPY)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    out = project / "out"
    orders = {host: (out / f"{host}.order").read_text() for host in INVENTORY["all"]["hosts"]}
    assert orders == {
        "nyc-core-01": "cisco_admin,backup_admin",
        "nyc-edge-01": "juniper_admin,backup_admin",
        "lon-fw-01": "backup_admin",
        "special-01": ",".join("spec_%d" % i for i in range(len(SPECIAL))) + ",backup_admin",
    }
    assert (out / "multi.txt").read_text().splitlines() == [
        # groups['all'] lists the hosts in inventory order (lon-fw-01, nyc-core-01, nyc-edge-01, special-01)
        "backup_admin;cisco_admin,backup_admin;juniper_admin,backup_admin;" + ",".join("spec_%d" % i for i in range(len(SPECIAL))) + ",backup_admin",
        "juniper_admin,backup_admin",
        "backup_admin;juniper_admin,backup_admin",  # lookup with several hosts: one list each
        "backup_admin",  # query with one host: a list holding its one list
    ]
    expected = {
        "nyc-core-01-var": [("cisco_admin", CISCO, ENABLE), ("backup_admin", "", "")],
        "nyc-edge-01-var": [("juniper_admin", "Canary-juniper-9f3", ""), ("backup_admin", "", "")],
        "lon-fw-01-var": [("backup_admin", "", "")],
        "special-01-var": [("spec_%d" % i, pw, "") for i, pw in enumerate(SPECIAL)] + [("backup_admin", "", "")],
        "special-01-file": [("file_%d" % i, pw, "") for i, pw in enumerate(SPECIAL)],
    }
    written = {p.name.removesuffix(".secrets"): p.read_bytes() for p in out.glob("*.secrets")}
    assert set(written) == set(expected)
    for name, creds in expected.items():  # byte-exact: exactly these UTF-8 bytes, nothing rendered or re-encoded
        assert written[name] == b"".join(b"\x1f".join(field.encode("utf-8") for field in cred) + b"\x1e" for cred in creds), name
    # No secret at -vvvv: neither a whole password nor any canary, and no sign of a rendered template.
    assert "Canary" not in log
    for pw in [CISCO, ENABLE, *SPECIAL]:
        assert pw not in log
    assert "uid=" not in log


ERRORS = """
- name: Credentials lookup errors name the credential or host, never a secret
  hosts: localhost
  gather_facts: false
  vars:
    dup_creds:
      - {name: twice, username: a, password: Canary-dup1-9f3, tags: [default]}
      - {name: twice, username: b, password: Canary-dup2-9f3, tags: [default]}
    cisco_only:
      - {name: cisco_only, username: a, password: Canary-only-9f3, tags: [cisco]}
    raw_vault_creds:
      - {name: pasted, username: a, tags: [default], password: "$ANSIBLE_VAULT;1.1;AES256\\n3031"}
    cases:
      foreign: "{{ lookup('netraven.core.credentials', tags=['nokia']) }}"
      duplicate: "{{ lookup('netraven.core.credentials', 'nyc-core-01', credentials_var='dup_creds') }}"
      pasted: "{{ lookup('netraven.core.credentials', 'nyc-core-01', credentials_var='raw_vault_creds') }}"
      unknown: "{{ lookup('netraven.core.credentials', 'ghost-01') }}"
      nomatch: "{{ lookup('netraven.core.credentials', 'lon-fw-01', credentials_var='cisco_only', missing='error') }}"
  tasks:
    - name: Each case fails; keep its message
      ansible.builtin.copy:
        content: "{{ lookup('ansible.builtin.vars', 'cases')[item] }}"
        dest: "{{ playbook_dir }}/out/{{ item }}.never"
        mode: "0600"
      loop: "{{ cases.keys() | list }}"
      register: attempts
      ignore_errors: true

    - name: Write the error messages
      ansible.builtin.copy:
        content: "{{ attempts.results | items2dict(key_name='item', value_name='msg') | to_nice_json }}"
        dest: "{{ playbook_dir }}/out/errors.json"
        mode: "0600"
"""


def test_errors_name_the_credential_or_host_and_never_a_secret(project: Path, ansible_env: dict[str, str]) -> None:
    result = playbook(project, hermetic(ansible_env), ERRORS)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert not list((project / "out").glob("*.never"))
    errors = json.loads((project / "out" / "errors.json").read_text())
    assert re.search(r"credential 'nokia_team', field 'password' .*cannot decrypt", errors["foreign"])
    assert "credential 'twice', field 'name': duplicate name" in errors["duplicate"]
    assert "credential 'pasted', field 'password'" in errors["pasted"] and "still vault-encrypted" in errors["pasted"]
    assert "unknown host 'ghost-01'" in errors["unknown"]
    assert "no credential matches host 'lon-fw-01'" in errors["nomatch"]
    assert "Canary" not in log and "Canary" not in json.dumps(errors)


STORE_MODULE = Path(__file__).resolve().parents[3] / "plugins" / "module_utils" / "_metrics_store.py"

LEARNED = """
- name: Learned order from the metrics store
  hosts: nyc-core-01,nyc-edge-01,lon-fw-01
  gather_facts: false
  tasks:
    - name: Order from the configured store (learned is the default when a store is configured)
      ansible.builtin.copy:
        content: "{{ lookup('netraven.core.credentials', inventory_hostname) | map(attribute='name') | join(',') }}"
        dest: "{{ playbook_dir }}/out/{{ inventory_hostname }}.learned"
        mode: "0600"
    - name: An unreadable store warns and falls back to priority order
      ansible.builtin.copy:
        content: "{{ lookup('netraven.core.credentials', inventory_hostname, metrics_store=broken) | map(attribute='name') | join(',') }}"
        dest: "{{ playbook_dir }}/out/{{ inventory_hostname }}.fallback"
        mode: "0600"
      vars:
        broken: "json://{{ playbook_dir }}/unreadable-store"
"""


@pytest.mark.skipif(not STORE_MODULE.exists(), reason="metrics store (branch store, module_utils/_metrics_store.py) is not merged into this branch yet")
def test_learned_order_through_the_real_metrics_store(project: Path, ansible_env: dict[str, str]) -> None:
    from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

    url = "sqlite:///%s" % (project / "metrics.db")
    store = open_store(url)
    try:
        store.record_attempt("nyc-core-01", "cisco_admin", "auth_rejected", 40)
        store.record_attempt("nyc-core-01", "backup_admin", "success", 55)
        store.record_attempt("nyc-edge-01", "cisco_admin", "success", 30)  # bound, but does not match a Juniper box
    finally:
        store.close()
    (project / "unreadable-store").mkdir()  # a folder where a JSON store file should be
    result = playbook(project, dict(hermetic(ansible_env), NETRAVEN_METRICS_STORE=url), LEARNED)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    out = project / "out"
    learned = {p.stem: p.read_text() for p in out.glob("*.learned")}
    assert learned == {"nyc-core-01": "backup_admin,cisco_admin", "nyc-edge-01": "juniper_admin,backup_admin", "lon-fw-01": "backup_admin"}
    fallback = {p.stem: p.read_text() for p in out.glob("*.fallback")}
    assert fallback == {"nyc-core-01": "cisco_admin,backup_admin", "nyc-edge-01": "juniper_admin,backup_admin", "lon-fw-01": "backup_admin"}
    assert "cannot read the metrics store" in log and "using priority order" in log
    assert "Canary" not in log


# -- issue 18: what a new user hit (items 3, 8, 11, 12, 13) ------------------------------------------

NEW_USER_PLAY = r"""
- name: Hosts from another inventory (no netraven_tags)
  hosts: all
  gather_facts: false
  tasks:
    - name: Which credentials each host gets
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }} gets {{ lookup('netraven.core.credentials', inventory_hostname) | map(attribute='name') | join(',') }}"

- name: Mistakes in credentials and credential files
  hosts: localhost
  gather_facts: false
  tasks:
    - name: A priority written as a word
      ansible.builtin.debug:
        msg: "{{ lookup('netraven.core.credentials', 'r1', credentials_var='typed_credentials') }}"
      ignore_errors: true
    - name: A relative credentials file that is not there
      ansible.builtin.debug:
        msg: "{{ lookup('netraven.core.credentials', 'r1', credentials_file='secret/credentials.yml') }}"
      ignore_errors: true
    - name: A credentials file with a YAML mistake
      ansible.builtin.debug:
        msg: "{{ lookup('netraven.core.credentials', 'r1', credentials_file='broken.yml') }}"
      ignore_errors: true
"""


def test_new_user_mistakes_warn_once_and_errors_say_where(tmp_path: Path, ansible_env: dict[str, str]) -> None:
    """Warnings appear once per run (Ansible's Display deduplicates equal texts across forks); errors use plain type
    words, say where a relative credentials file was looked for, and give the line of a YAML mistake."""
    inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                         "hosts": {"r1": {"netraven_tags": ["core"]}, "other-1": {}, "other-2": {}, "other-3": {}}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    group_vars = tmp_path / "group_vars" / "all"
    group_vars.mkdir(parents=True)
    (group_vars / "credentials.yml").write_text(
        "netraven_credentials:\n"
        "  - {name: core_admin, username: c, password: Canary-core-9f3, priority: 10, tags: [core]}\n"
        "  - {name: forgotten, username: f, password: Canary-forgotten-9f3, tags: []}\n"
        "  - {name: keyed, username: k, ssh_key_file: ~/.ssh/netraven-no-such-key, tags: [default]}\n"
        "typed_credentials:\n"
        "  - {name: typed, username: t, password: Canary-typed-9f3, priority: high, tags: [default]}\n")
    (tmp_path / "broken.yml").write_text("- name: a\n  username: u\n  password: 'Canary-broken-9f3\n  tags: [default]\n- name: b\n")
    (tmp_path / "play.yml").write_text(NEW_USER_PLAY)
    result = subprocess.run(["ansible-playbook", "-i", "inventory.yml", "play.yml"], cwd=tmp_path, env=hermetic(ansible_env),
                            capture_output=True, text=True, check=False)
    log = result.stdout + result.stderr
    flat = " ".join(log.split())
    assert result.returncode == 0, log[-3000:]
    assert "other-2 gets keyed" in flat and "r1 gets core_admin,keyed" in flat

    assert flat.count("some hosts have no netraven_tags") == 1, log
    assert flat.count("credential 'forgotten' has tags: [] and so matches no device") == 1
    home = Path(ansible_env.get("HOME", str(Path.home())))
    assert flat.count(f"credential 'keyed': ssh_key_file {home}/.ssh/netraven-no-such-key does not exist on the controller") == 1

    assert "credential 'typed', field 'priority': must be an integer, got string" in flat and "Tagged" not in log
    assert (f"credentials_file secret/credentials.yml not found; looked for {tmp_path}/files/secret/credentials.yml, "
            f"{tmp_path}/secret/credentials.yml") in flat
    assert "cannot read credentials_file broken.yml: not valid YAML at line 6 column 1 (the construct starts at line 3)" in flat
    assert "Canary" not in log
