"""Unit tests of the device-source readers (plugins/plugin_utils/_device_sources.py) on real files and SQLite."""
from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest

from ansible_collections.netraven.core.plugins.plugin_utils import _device_sources as sources
from ansible_collections.netraven.core.plugins.plugin_utils._devices import DeviceSourceError, Warnings, build_devices

SAMPLES = Path(__file__).resolve().parents[2] / "integration" / "targets" / "inventory_devices" / "files"
SCHEMA_SQL = Path(__file__).resolve().parents[2] / "integration" / "inventory_plugin" / "netraven_schema.sql"


# --- YAML -------------------------------------------------------------------------------------

def test_yaml_keeps_unquoted_tag_words_as_written():
    text = "devices:\n  - name: r1\n    host: 10.0.0.1\n    platform: cisco_ios\n    tags: [yes, on, 2024, ~, 1.10, 2024-01-02, 'quoted']\n"
    (r,) = sources.load_yaml_devices(io.StringIO(text), "d.yml")
    assert r["fields"]["tags"] == ["yes", "on", "2024", "~", "1.10", "2024-01-02", "quoted"]
    assert r["retyped"] == [["yes", "boolean"], ["on", "boolean"], ["2024", "number"], ["~", "null"], ["1.10", "number"],
                            ["2024-01-02", "date"]]
    assert r["origin"] == "d.yml line 2" and r["kind"] == "yaml"


def test_yaml_other_fields_keep_yaml_types_and_names_keep_text():
    text = "- {name: 2024, host: 10.0.0.1, platform: cisco_ios, rack: 12, managed: yes, tags: core}\n"
    (r,) = sources.load_yaml_devices(io.StringIO(text), "d.yml")
    assert r["fields"]["name"] == "2024" and r["fields"]["rack"] == 12 and r["fields"]["managed"] is True
    assert r["fields"]["tags"] == "core" and r["retyped"] == []


def test_yaml_empty_and_errors():
    assert sources.load_yaml_devices(io.StringIO(""), "d.yml") == []
    assert sources.load_yaml_devices(io.StringIO("devices:\n"), "d.yml") == []
    with pytest.raises(DeviceSourceError, match="d.yml line 2: a device must be a mapping"):
        sources.load_yaml_devices(io.StringIO("devices:\n  - just-a-name\n"), "d.yml")
    with pytest.raises(DeviceSourceError, match="d.yml: not valid YAML"):
        sources.load_yaml_devices(io.StringIO("devices: [\n"), "d.yml")
    with pytest.raises(DeviceSourceError, match="devices must be a list"):
        sources.load_yaml_devices(io.StringIO("devices: 3\n"), "d.yml")
    # configs need the devices key; a top-level list there is not devices
    assert sources.load_yaml_devices(io.StringIO("plugin: x\n"), "c.yml", allow_list=False) == []


def test_unreadable_file_names_the_path(tmp_path):
    missing = tmp_path / "nope.yml"
    with pytest.raises(DeviceSourceError, match=f"cannot read device source {missing}: No such file"):
        sources.read_source("nope.yml", str(tmp_path))
    folder = tmp_path / "folder.csv"
    folder.mkdir()  # unreadable as a file even for root
    with pytest.raises(DeviceSourceError, match=f"cannot read device source {folder}: Is a directory"):
        sources.read_source(str(folder), "/")


# --- NetRaven bulk import ---------------------------------------------------------------------

def test_netraven_sample_csv():
    rows = sources.read_csv(str(SAMPLES / "bulk_device_import_sample.csv"))
    assert [r["origin"].rsplit(" ", 2)[1:] for r in rows] == [["line", "2"], ["line", "3"]]
    assert rows[0]["fields"]["tags"] == "1|2" and rows[0]["fields"]["notes"] == "Main rack"
    devices = build_devices(rows, tag_names={"1": "core", "2": "edge"})
    assert devices[0]["tags"] == ["core", "edge", "default"] and devices[1]["tags"] == ["edge", "default"]
    assert devices[0]["fields"]["model"] == "Catalyst 9300" and "notes" not in devices[1]["fields"]


def test_netraven_sample_json_matches_csv():
    csv_devices = build_devices(sources.read_csv(str(SAMPLES / "bulk_device_import_sample.csv")), tag_names={"1": "core"})
    json_devices = build_devices(sources.read_json(str(SAMPLES / "bulk_device_import_sample.json")), tag_names={"1": "core"})
    assert [(d["name"], d["host"], d["port"], d["tags"]) for d in csv_devices] == \
           [(d["name"], d["host"], d["port"], d["tags"]) for d in json_devices]
    assert json_devices[0]["origin"].endswith("item 0 (core-sw-01)")


def test_csv_multiline_cell_keeps_starting_line_and_too_many_cells(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('hostname,ip_address,device_type,notes\nr1,10.0.0.1,cisco_ios,"two\nlines"\n\nr2,10.0.0.2,cisco_ios,x\n')
    rows = sources.read_csv(str(path))
    assert [r["origin"] for r in rows] == [f"{path} line 2", f"{path} line 5"]
    assert rows[0]["fields"]["notes"] == "two\nlines"
    path.write_text("hostname,ip_address\nr1,10.0.0.1,extra\n")
    with pytest.raises(DeviceSourceError, match="line 2: 3 cells but the header has 2"):
        sources.read_csv(str(path))


def test_json_errors(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('{"devices": [{"hostname": "a"}]}')
    assert sources.read_json(str(path))[0]["fields"] == {"hostname": "a"}
    path.write_text("[1]")
    with pytest.raises(DeviceSourceError, match="item 0: a device must be an object"):
        sources.read_json(str(path))
    path.write_text("[{")
    with pytest.raises(DeviceSourceError, match="not valid JSON"):
        sources.read_json(str(path))


# --- issue 18: broken CSV, Excel CSV, non-UTF-8 files, one message per problem, file shapes ----

def test_csv_unterminated_quote_is_an_error_naming_file_and_line(tmp_path):
    """An unclosed quote would swallow every following row into one cell (issue 18 item 2)."""
    path = tmp_path / "d.csv"
    path.write_text('hostname,ip_address,device_type,description\nr1,10.0.0.1,cisco_ios,"broken\n'
                    'r2,10.0.0.2,cisco_ios,fine\n')
    with pytest.raises(DeviceSourceError, match=rf"{path} line 2: .*quote.* never closed") as err:
        sources.read_csv(str(path))
    assert str(err.value).count(str(path)) == 1
    path.write_text('hostname,ip_address,device_type,description\nr1,10.0.0.1,cisco_ios,"quoted"text\n')
    with pytest.raises(DeviceSourceError, match=rf"{path} line 2: .*after a closing quote"):
        sources.read_csv(str(path))


def test_excel_csv_utf8_with_bom_and_crlf_loads(tmp_path):
    """Excel's "CSV UTF-8" starts with a byte-order mark and ends lines with CRLF."""
    path = tmp_path / "excel.csv"
    path.write_bytes("hostname,ip_address,device_type,description\r\nr1,10.0.0.1,cisco_ios,Zürich\r\n"
                     "r2,10.0.0.2,cisco_ios,\"two\r\nlines\"\r\n".encode("utf-8-sig"))
    rows = sources.read_csv(str(path))
    devices = build_devices(rows)
    assert [(d["name"], d["host"]) for d in devices] == [("r1", "10.0.0.1"), ("r2", "10.0.0.2")]
    assert devices[0]["fields"]["description"] == "Zürich" and rows[1]["origin"] == f"{path} line 3"
    json_path = tmp_path / "bom.json"
    json_path.write_bytes('[{"hostname": "r3", "ip_address": "10.0.0.3", "device_type": "cisco_ios"}]'.encode("utf-8-sig"))
    assert sources.read_json(str(json_path))[0]["fields"]["hostname"] == "r3"


@pytest.mark.parametrize("name, text", [
    ("latin.csv", "hostname,ip_address,device_type,description\nr1,10.0.0.1,cisco_ios,ok\nr2,10.0.0.2,cisco_ios,Zürich\n"),
    ("latin.yml", "# devices\n- {name: r1, host: 10.0.0.1, platform: cisco_ios}\n- {name: r2, host: 10.0.0.2, platform: cisco_ios, site: Zürich}\n"),
    ("latin.json", '[{"hostname": "r1"},\n {"hostname": "r2"},\n {"hostname": "Zürich"}]'),
])
def test_non_utf8_file_names_the_file_and_line(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(DeviceSourceError, match=rf"{path} line 3: not UTF-8 .*byte 0xfc") as err:
        sources.read_source(name, str(tmp_path))
    assert "save it as UTF-8" in str(err.value)


def test_missing_file_is_named_once(tmp_path):
    """The reason is given once, without Python's errno repeat (issue 18 item 9)."""
    with pytest.raises(DeviceSourceError) as err:
        sources.read_source("nope.yml", str(tmp_path))
    assert str(err.value) == f"cannot read device source {tmp_path / 'nope.yml'}: No such file or directory"
    assert err.value.__suppress_context__ and err.value.__cause__ is None


@pytest.mark.parametrize("text, words", [
    ("hosts:\n  r1: {host: 10.0.0.1, platform: cisco_ios}\n", "found a mapping with the key(s) hosts"),
    ("just text\n", "found a string"),
    ("{}\n", "found an empty mapping"),
])
def test_yaml_device_file_with_the_wrong_top_level_shape_is_an_error(text, words):
    """A mapping without a devices key used to give "no devices" and exit 0 (issue 18 item 10)."""
    with pytest.raises(DeviceSourceError, match="d.yml: expected a list of devices or a mapping with a devices: list") as err:
        sources.load_yaml_devices(io.StringIO(text), "d.yml")
    assert words in str(err.value)


# --- SQL --------------------------------------------------------------------------------------

def make_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_SQL.read_text())
    conn.executescript("""
        INSERT INTO tags (id, name, type) VALUES (1, 'core', 'role'), (2, 'edge', 'role'), (3, '2024', 'custom');
        INSERT INTO devices (id, hostname, ip_address, device_type, port, description)
            VALUES (1, 'core-sw-01', '10.0.0.2', 'cisco_ios', 22, 'Core switch'),
                   (2, 'edge-v6', '2001:db8::17', 'arista_eos', NULL, NULL);
        INSERT INTO device_tag_association VALUES (1, 1), (1, 3), (2, 2), (2, 9);
    """)
    conn.commit()
    conn.close()


def test_sqlite_netraven_schema(tmp_path):
    db = tmp_path / "netraven.db"
    make_sqlite(db)
    rows, names = sources.read_source(f"sqlite:///{db}", "/elsewhere")
    assert names == {"1": "core", "2": "edge", "3": "2024"}
    warnings = Warnings()
    devices = build_devices(rows, tag_names=names, warnings=warnings)
    assert devices[0]["tags"] == ["core", "2024", "default"]
    assert devices[1]["tags"] == ["edge", "9", "default"] and devices[1]["port"] == 22
    assert devices[0]["fields"]["description"] == "Core switch" and devices[0]["fields"]["id"] == 1
    assert isinstance(devices[0]["fields"]["created_at"], str)
    assert devices[0]["origin"] == f"{db} devices.id=1 (core-sw-01)"
    assert "tag id 9 has no name" in warnings.render()[0]
    # relative forms resolve against the config folder
    assert sources.read_source("sqlite:netraven.db", str(tmp_path))[0] == rows
    assert sources.read_source("netraven.db", str(tmp_path))[1] == names
    assert sources.read_tag_names("netraven.db", str(tmp_path)) == names


def test_sqlite_missing_file_or_tables(tmp_path):
    with pytest.raises(DeviceSourceError, match=f"cannot read device source {tmp_path}/none.db"):
        sources.read_source("sqlite:none.db", str(tmp_path))
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(DeviceSourceError, match=f"cannot read NetRaven tables from {empty}: no such table: devices"):
        sources.read_source(str(empty), str(tmp_path))


def test_postgres_unreachable_error_hides_the_password():
    dsn = "postgresql://netraven:Canary-pg-9f3@127.0.0.1:1/netraven?password=Canary-q-9f3&sslmode=disable"
    with pytest.raises(DeviceSourceError) as err:
        sources.read_source(dsn, "/", timeout=2)
    text = str(err.value)
    assert "cannot connect to device source postgresql://netraven@127.0.0.1:1/netraven?sslmode=disable" in text
    assert "Canary" not in text


def test_redact_dsn():
    assert sources.redact_dsn("postgresql://u:secret@h:5432/db?options=-csearch_path%3Dx") == \
        "postgresql://u@h:5432/db?options=-csearch_path%3Dx"
    assert sources.redact_dsn("postgresql://h/db") == "postgresql://h/db"


@pytest.mark.parametrize("spec,kind", [("a.yml", "yaml"), ("A.YAML", "yaml"), ("x.csv", "csv"), ("x.json", "json"),
                                       ("n.sqlite3", "sqlite"), ("sqlite:///x", "sqlite"), ("postgres://h/d", "postgresql")])
def test_source_kind(spec, kind):
    assert sources.source_kind(spec) == kind


@pytest.mark.parametrize("spec", ["devices.txt", "mysql://u:pw@h/db"])
def test_unknown_source_kind_is_an_error(spec):
    with pytest.raises(DeviceSourceError, match="unknown") as err:
        sources.source_kind(spec)
    assert "pw" not in str(err.value)


def test_sqlite_paths():
    assert sources.sqlite_path("sqlite:///abs/n.db", "/cfg") == "/abs/n.db"
    assert sources.sqlite_path("sqlite:rel/n.db", "/cfg") == "/cfg/rel/n.db"
    assert sources.sqlite_path("sqlite:///~/n.db", "/cfg") == os.path.expanduser("~/n.db")
    with pytest.raises(DeviceSourceError, match="sqlite:///absolute/path"):
        sources.sqlite_path("sqlite://host/n.db", "/cfg")


def test_netmiko_platforms_is_netmiko_list():
    known = sources.netmiko_platforms()
    assert known is not None and {"cisco_ios", "arista_eos", "juniper_junos"} <= known


def test_netmiko_missing_gives_none(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "netmiko.ssh_dispatcher", None)  # makes the import raise ImportError
    assert sources.netmiko_platforms() is None
