"""netraven.core.devices through real `ansible-inventory` / `ansible-playbook` subprocesses.

Sources: a generated 1,000-device YAML, SQLite and the real PostgreSQL (NetRaven schema created here),
plus the inventory cache and unsafe strings. The NetRaven bulk-import samples (CSV, JSON) and bad input
in two sources are checked by the ansible-test target ``tests/integration/targets/inventory_devices``.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
FILES = HERE.parent / "targets" / "inventory_devices" / "files"  # shared with the ansible-test target
SCHEMA_SQL = (HERE / "netraven_schema.sql").read_text()
GENERATOR = HERE.parents[2] / "bench" / "inventory" / "generate_devices.py"


def load_generator():
    spec = importlib.util.spec_from_file_location("generate_devices", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unwrap(value):
    """ansible-inventory marks untrusted (unsafe) strings as {"__ansible_unsafe": text}; strip that."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def write_config(folder: Path, body: dict, name: str = "inv.netraven.yml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump({"plugin": "netraven.core.devices", **body}, allow_unicode=True), encoding="utf-8")
    return path


def inventory(config: Path, env: dict, *args: str, expect_ok: bool = True) -> subprocess.CompletedProcess:
    env = dict(env, ANSIBLE_INVENTORY_UNPARSED_FAILED="1")  # default enabled plugins: configs go through "auto"
    proc = subprocess.run(["ansible-inventory", "-i", str(config), *args], env=env, capture_output=True, text=True,
                          cwd="/", check=False)
    if expect_ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def listed(config: Path, env: dict, *args: str) -> tuple[dict, str]:
    """(--list JSON with unsafe markers removed, stderr); also checks that every hostvar string was marked unsafe."""
    proc = inventory(config, env, "--list", *args)
    raw = json.loads(proc.stdout)
    for host, hostvars in raw["_meta"]["hostvars"].items():
        for var in ("ansible_host", "netraven_platform"):
            assert set(hostvars[var]) == {"__ansible_unsafe"}, f"{host} {var} is not marked unsafe"
    return unwrap(raw), proc.stderr


def members(data: dict, group: str) -> set[str]:
    return set(data.get(group, {}).get("hosts", []))


# The NetRaven bulk-import samples (CSV, JSON: hosts, hostvars, groups, --graph, the tag-id warning)
# are the ansible-test target tests/integration/targets/inventory_devices.


# --- 1,000 generated devices ----------------------------------------------------------------------

def test_generated_1000_devices_with_constructed_features(tmp_path, ansible_env):
    gen = load_generator()
    gen.write(1000, tmp_path / "devices.yml")
    config = write_config(tmp_path, {
        "source": "devices.yml",
        "keyed_groups": [{"key": "netraven_site", "prefix": "site"}],
        "groups": {"ipv6": "':' in ansible_host"},
        "compose": {"ansible_connection": "'ansible.netcommon.network_cli'"},
        "strict": True,
    })
    data, stderr = listed(config, ansible_env)
    hostvars = data["_meta"]["hostvars"]
    assert len(hostvars) == 1000 and "WARNING" not in stderr
    for i in (0, 1, 10, 99, 999):
        name, expected, groups = gen.native_host(gen.device(i))
        assert {k: hostvars[name][k] for k in expected} == expected
        assert hostvars[name]["ansible_connection"] == "ansible.netcommon.network_cli"
        for group in groups:
            assert name in members(data, group)
    assert hostvars["sw-00020"]["ansible_host"] == "2001:db8:1::14" and hostvars["sw-00020"]["ansible_port"] == 2222
    assert len(members(data, "tag_default")) == 1000 and len(members(data, "ipv6")) == 100
    assert len(members(data, "site_branch_north")) == 200
    assert "kärnan-00099" in hostvars

    graph = inventory(config, ansible_env, "--graph", "tag_lab").stdout
    assert graph.count("|--") == 200 and "kärnan-00099" in graph


# --- SQL ------------------------------------------------------------------------------------------

NETRAVEN_ROWS = [
    "INSERT INTO tags (id, name, type) VALUES (1, 'core', 'role'), (2, 'edge', 'role'), (3, 'dc 1', 'location')",
    "INSERT INTO devices (id, hostname, ip_address, device_type, port, description, serial_number) VALUES "
    "(1, 'core-sw-01', '10.0.0.2', 'cisco_ios', 22, 'Core switch', 'FTX1234A1B2'), "
    "(2, 'edge-v6', '2001:db8::17', 'arista_eos', 830, NULL, NULL), "
    "(3, 'bare', '10.0.0.9', 'juniper_junos', NULL, NULL, NULL)",
    "INSERT INTO device_tag_association (device_id, tag_id) VALUES (1, 1), (1, 3), (2, 2)",
]


def check_netraven_db_inventory(data: dict) -> None:
    hostvars = data["_meta"]["hostvars"]
    assert set(hostvars) == {"core-sw-01", "edge-v6", "bare"}
    assert hostvars["core-sw-01"]["netraven_tags"] == ["core", "dc 1", "default"]
    assert hostvars["core-sw-01"]["netraven_description"] == "Core switch" and hostvars["core-sw-01"]["netraven_id"] == 1
    assert hostvars["edge-v6"]["ansible_host"] == "2001:db8::17" and hostvars["edge-v6"]["ansible_port"] == 830
    assert hostvars["bare"]["netraven_tags"] == ["default"] and hostvars["bare"]["ansible_port"] == 22
    assert members(data, "tag_dc_1") == {"core-sw-01"} and members(data, "platform_juniper_junos") == {"bare"}


def test_sqlite_netraven_database(tmp_path, ansible_env):
    conn = sqlite3.connect(tmp_path / "netraven.db")
    conn.executescript(SCHEMA_SQL)
    for statement in NETRAVEN_ROWS:
        conn.execute(statement)
    conn.commit()
    conn.close()
    config = write_config(tmp_path, {"source": "sqlite:netraven.db"})
    data = listed(config, ansible_env)[0]
    check_netraven_db_inventory(data)
    # the bulk-import CSV's tag ids named by the database's tags table
    shutil.copy(FILES / "bulk_device_import_sample.csv", tmp_path)
    config = write_config(tmp_path, {"source": "bulk_device_import_sample.csv", "tag_names": "sqlite:netraven.db"}, "csv.netraven.yml")
    data, stderr = listed(config, ansible_env)
    assert data["_meta"]["hostvars"]["core-sw-01"]["netraven_tags"] == ["core", "edge", "default"] and "WARNING" not in stderr


@pytest.mark.postgres
def test_postgresql_netraven_database_honours_search_path(pg_dsn, tmp_path, ansible_env):
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_dsn) as conn:
        conn.execute(SCHEMA_SQL)
        for statement in NETRAVEN_ROWS:
            conn.execute(statement)
    config = write_config(tmp_path, {"source": pg_dsn})
    data = listed(config, ansible_env)[0]
    check_netraven_db_inventory(data)
    # the tables live only in the test's schema: the same server without the search_path has none of them
    base = pg_dsn.split("?")[0] + "?connect_timeout=5"
    proc = inventory(write_config(tmp_path, {"source": base}, "other.netraven.yml"), ansible_env, "--list", expect_ok=False)
    assert proc.returncode != 0 and "cannot read NetRaven tables from" in proc.stderr


# --- cache ------------------------------------------------------------------------------------------

def test_cache_serves_rows_until_flush(tmp_path, ansible_env):
    devices = tmp_path / "devices.yml"
    devices.write_text("devices:\n  - {name: r1, host: 10.0.0.1, platform: cisco_ios, tags: [core]}\n")
    cache_dir = tmp_path / "cache"
    config = write_config(tmp_path, {"source": "devices.yml", "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
                                     "cache_connection": str(cache_dir), "cache_timeout": 3600})
    first = listed(config, ansible_env)[0]
    assert set(first["_meta"]["hostvars"]) == {"r1"}
    cached = list(cache_dir.iterdir())
    assert len(cached) == 1 and "10.0.0.1" in cached[0].read_text()

    devices.write_text("devices:\n  - {name: r1, host: 10.0.0.1, platform: cisco_ios}\n  - {name: r2, host: 10.0.0.2, platform: cisco_ios}\n")
    again = listed(config, ansible_env)[0]
    assert set(again["_meta"]["hostvars"]) == {"r1"}, "second run should come from the cache"
    flushed = listed(config, ansible_env, "--flush-cache")[0]
    assert set(flushed["_meta"]["hostvars"]) == {"r1", "r2"}
    assert "r2" in cached[0].read_text()


# --- unsafe strings -------------------------------------------------------------------------------

def test_source_strings_are_never_templated(tmp_path, ansible_env):
    marker = tmp_path / "templated"
    evil = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"
    (tmp_path / "devices.yml").write_text(yaml.safe_dump({"devices": [
        {"name": "r1", "host": "10.0.0.1", "platform": "cisco_ios", "tags": [evil], "description": evil}]}))
    config = write_config(tmp_path, {"source": "devices.yml", "devices": [
        {"name": "r2", "host": "10.0.0.2", "platform": "cisco_ios", "description": evil}]})
    playbook = tmp_path / "show.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": [
        {"ansible.builtin.debug": {"msg": "D={{ netraven_description }} T={{ netraven_tags | join(',') }}"}}]}]))
    proc = subprocess.run(["ansible-playbook", "-i", str(config), str(playbook)], env=ansible_env, capture_output=True,
                          text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not marker.exists(), "a description from the source was templated"
    assert proc.stdout.count("D={{ lookup('pipe', 'touch") == 2


def test_inline_devices_fall_back_to_ansible_parsing(tmp_path, ansible_env):
    """A config our plain YAML loader cannot re-read (here an !unsafe tag) still works; typed tags become text with a warning."""
    config = tmp_path / "inline.netraven.yml"
    config.write_text("plugin: netraven.core.devices\ndevices:\n"
                      "  - {name: r1, host: 10.0.0.1, platform: cisco_ios, tags: [yes, core], description: !unsafe '{{ x }}'}\n")
    data, stderr = listed(config, ansible_env)
    r1 = data["_meta"]["hostvars"]["r1"]
    assert r1["netraven_tags"] == ["true", "core", "default"] and r1["netraven_description"] == "{{ x }}"
    assert "tag True is not text (bool); kept as the text 'true'" in " ".join(stderr.split())
    assert f"{config} devices[0] (r1)" in " ".join(stderr.split())


# --- errors ---------------------------------------------------------------------------------------

def test_unreachable_database_error_hides_password(tmp_path, ansible_env):
    config = write_config(tmp_path, {"source": "postgresql://netraven:Canary-inv-9f3@127.0.0.1:1/netraven", "connect_timeout": 2})
    proc = inventory(config, ansible_env, "--list", "-vvvv", expect_ok=False)
    assert proc.returncode != 0
    assert "cannot connect to device source postgresql://netraven@127.0.0.1:1/netraven" in proc.stderr
    assert "Canary-inv-9f3" not in proc.stdout + proc.stderr


def test_config_name_must_end_in_netraven_yml(tmp_path, ansible_env):
    config = write_config(tmp_path, {"devices": [{"name": "r1", "host": "10.0.0.1", "platform": "cisco_ios"}]}, "plain.yml")
    proc = inventory(config, ansible_env, "--list", expect_ok=False)
    assert proc.returncode != 0 and "r1" not in proc.stdout


# --- issue 18: what a new user hit ----------------------------------------------------------------

def test_broken_csv_fails_and_excel_csv_loads(tmp_path, ansible_env):
    """An unclosed quote used to swallow the next row (exit 0, one host); Excel's CSV UTF-8 (BOM, CRLF) said 'missing hostname'."""
    (tmp_path / "broken.csv").write_text('hostname,ip_address,device_type,description\nsw1,10.0.0.1,cisco_ios,"broken\n'
                                         "sw2,10.0.0.2,cisco_ios,fine\n")
    proc = inventory(write_config(tmp_path, {"source": "broken.csv"}), ansible_env, "--list", expect_ok=False)
    assert proc.returncode != 0 and "sw1" not in proc.stdout
    assert f"{tmp_path}/broken.csv line 2: a quoted field is never closed" in " ".join(proc.stderr.split())

    (tmp_path / "excel.csv").write_bytes("hostname,ip_address,device_type\r\nsw1,10.0.0.1,cisco_ios\r\nsw2,10.0.0.2,cisco_ios\r\n"
                                         .encode("utf-8-sig"))
    data, stderr = listed(write_config(tmp_path, {"source": "excel.csv"}, "excel.netraven.yml"), ansible_env)
    assert set(data["_meta"]["hostvars"]) == {"sw1", "sw2"} and "WARNING" not in stderr


def test_latin1_file_and_missing_file_name_the_file_once(tmp_path, ansible_env):
    (tmp_path / "latin.yml").write_bytes("- {name: sw1, host: 10.0.0.1, platform: cisco_ios, site: Zürich}\n".encode("latin-1"))
    proc = inventory(write_config(tmp_path, {"source": "latin.yml"}), ansible_env, "--list", expect_ok=False)
    assert proc.returncode != 0
    assert f"{tmp_path}/latin.yml line 1: not UTF-8 text (byte 0xfc)" in " ".join(proc.stderr.split())

    proc = inventory(write_config(tmp_path, {"source": "missing.yml"}, "missing.netraven.yml"), ansible_env, "--list", expect_ok=False)
    assert proc.returncode != 0 and f"cannot read device source {tmp_path}/missing.yml: No such file or directory" in proc.stderr
    for line in proc.stderr.splitlines():  # Ansible repeats the whole message under "caused by"; each line says it once
        assert line.count("cannot read device source") <= 1 and line.count("No such file or directory") <= 1, line
    assert "[Errno 2]" not in proc.stderr


def test_config_typo_and_wrong_device_file_shape_fail(tmp_path, ansible_env):
    """Both used to warn 'no devices' and exit 0."""
    (tmp_path / "devices.yml").write_text("hosts:\n  r1: {host: 10.0.0.1, platform: cisco_ios}\n")
    proc = inventory(write_config(tmp_path, {"sources": "devices.yml"}), ansible_env, "--list", expect_ok=False)
    assert proc.returncode != 0
    err = " ".join(proc.stderr.split())
    assert f"{tmp_path}/inv.netraven.yml: unknown option 'sources' (did you mean 'source'?)" in err

    proc = inventory(write_config(tmp_path, {"source": "devices.yml"}), ansible_env, "--list", expect_ok=False)
    assert proc.returncode != 0
    err = " ".join(proc.stderr.split())
    assert (f"{tmp_path}/devices.yml: expected a list of devices or a mapping with a devices: list; "
            "found a mapping with the key(s) hosts") in err


def test_inline_and_file_type_errors_use_plain_words(tmp_path, ansible_env):
    """Ansible-parsed inline devices are _AnsibleTagged* values; messages say int/string (items 8 and 11)."""
    (tmp_path / "devices.yml").write_text('- {name: sw9, host: 10.0.0.9, platform: cisco_ios, tags: "core, dc1"}\n')
    config = tmp_path / "inline.netraven.yml"
    config.write_text("plugin: netraven.core.devices\nsource: devices.yml\ndevices:\n"
                      "  - {name: r1, host: 10.0.0.1, platform: 5, description: !unsafe '{{ x }}'}\n"
                      "  - {name: r2, host: 7, platform: cisco_ios}\n  - [r3]\n")
    proc = inventory(config, ansible_env, "--list", expect_ok=False)
    assert proc.returncode != 0
    err = " ".join(proc.stderr.split())
    assert f"{config} devices[0] (r1): device_type must be text, got int" in err
    assert f"{config} devices[1] (r2): address must be text, got int" in err
    assert f"{config} devices[2]: a device must be a mapping, got a list" in err
    assert f"{tmp_path}/devices.yml line 1 (sw9): tags must be a list of tag names, got a string; write tags: [core, dc1]" in err
    assert "Tagged" not in proc.stderr


def _rst_code_after(text: str, marker: str) -> str:
    """The first ``.. code-block::`` after ``marker`` in reST ``text``, dedented."""
    rest = text[text.index(marker):]
    head, body = rest.split(".. code-block::", 1)
    indent = len(head.rsplit("\n", 1)[-1]) + 3  # the block's content is indented three more than the directive
    lines = []
    for line in body.split("\n")[2:]:  # the directive's own line, then a blank line
        if line.strip() and not line.startswith(" " * indent):
            break
        lines.append(line[indent:])
    return "\n".join(lines)


def test_documented_layouts_keep_the_device_file_out_of_the_inventory_folder(tmp_path, ansible_env, repo_root):
    """The backup guide's steps, followed literally with `-i inventory/`, give no warning from Ansible's YAML plugin;
    the README's example agrees (issue 18 item 18: the guide put devices.yml inside inventory/)."""
    guide = (repo_root / "docs" / "docsite" / "rst" / "backup.rst").read_text(encoding="utf-8")
    step = guide[guide.index("1. An inventory for ``netraven.core.devices``"):]
    config_name = step.split("e.g. ``", 1)[1].split("``", 1)[0]
    config = yaml.safe_load(_rst_code_after(step, "1. An inventory"))
    inventory_dir = tmp_path / "inventory"
    (tmp_path / config_name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / config_name).write_text(yaml.safe_dump(config))
    device_file = (tmp_path / config_name).parent / config["source"]
    device_file.parent.mkdir(parents=True, exist_ok=True)
    device_file.write_text("devices:\n  - {name: r1, host: 10.0.0.1, platform: cisco_ios, tags: [core]}\n")
    proc = subprocess.run(["ansible-inventory", "-i", "inventory/", "--graph"], env=ansible_env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "|--r1" in proc.stdout, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr

    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    example = readme[readme.index("# inventory/prod.netraven.yml"):].split("```", 1)[0]
    for source in yaml.safe_load(example)["source"]:
        if "://" in source or not source.endswith((".yml", ".yaml")):
            continue
        resolved = (inventory_dir / source).resolve()
        assert inventory_dir.resolve() not in resolved.parents, f"README: {source} lies inside inventory/"
