# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: the nightly backup on the built-in lab, twice, then the credential report.

1. start the lab of ``lab/demo.yml`` (``python -m lab up``) and keep the inventory it prints;
2. write ``demo/inventory/`` (a netraven.core.devices config over the served device file, and
   ``group_vars/all.yml`` with the lab's LAB-ONLY credentials) -- ``demo/`` is gitignored;
3. run ``ansible-playbook netraven.core.backup`` with the SQLite store ``demo/metrics.db``,
   then once more: the second run tries the learned credential first (one attempt per device
   that worked in the first run);
4. print a summary with the paths of the backups and of the report (report.md, report.json and
   the page report.html), and stop the lab, also on Ctrl-C or SIGTERM.

Exit status: 0 when every device that failed failed the way the lab file says it should (no
working credential, unreachable, locked out...), 1 otherwise, 130 when interrupted.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO = Path(os.environ.get("NETRAVEN_DEMO_DIR") or ROOT / "demo").resolve()  # the tests use their own folder
LAB_FILE = ROOT / "lab" / "demo.yml"
PY = sys.executable
sys.path.insert(0, str(ROOT))

from lab.spec import load_lab  # noqa: E402  (the lab package lives at the repository root)

# Failures the lab is built to show; anything else (partial_output, command_failed, a crash) is a bug.
INTENDED = {"auth_rejected", "enable_failed", "auth_method_unsupported", "unreachable", "auth_timeout",
            "locked_out", "password_expired", "hostkey_mismatch", "ssh_negotiation_failed",
            "post_auth_interaction_failed"}


def expected_outcome(device, credentials, max_attempts: int = 3) -> str:
    """The outcome the lab file implies for ``device`` on a first run in priority order.

    Mirrors the collection's rules (DESIGN.md §3): credentials sharing a tag with the device
    (every device carries ``default``), priority then name, at most ``max_attempts`` tried, only
    a rejection moves on, a lockout after ``lockout_after`` failures stops the device.
    """
    b = device.behaviours
    if b.unreachable:
        return "unreachable"
    if b.blackhole:
        return "auth_timeout"
    tags = set(device.tags) | {"default"}
    order = sorted((c for c in credentials if tags & set(c.tags or ("default",))), key=lambda c: (c.priority, c.name))
    failures = 0
    for cred in order[:max_attempts]:
        if b.lockout_after is not None and failures >= b.lockout_after:
            return "locked_out"
        if cred.name in device.accept:
            if b.password_expired or b.password_change_insist:
                return "password_expired"
            if b.banner_prompt is not None:  # the demo inventory has no login_prompts rule accepting it
                return "post_auth_interaction_failed"
            if device.enable_secret and cred.enable_secret != device.enable_secret:
                return "enable_failed"
            return "success"
        failures += 1
    if b.lockout_after is not None and failures >= b.lockout_after:
        return "locked_out"
    return "auth_rejected" if order else "no_credentials"


def write_inventory(served: str, spec) -> Path:
    """Write demo/inventory/ from the lab's served device list and its credentials; return the folder."""
    inv = DEMO / "inventory"
    (inv / "group_vars").mkdir(parents=True, exist_ok=True)
    (DEMO / "lab-devices.yml").write_text(served)  # outside inventory/: Ansible would parse it there
    (inv / "demo.netraven.yml").write_text(
        "# Demo inventory written by `make demo`: the devices the lab serves on 127.0.0.1.\n"
        "plugin: netraven.core.devices\n"
        f"source: {DEMO / 'lab-devices.yml'}\n"
    )
    creds = []
    for cred in spec.credentials:
        item = {"name": cred.name, "username": cred.username, "priority": cred.priority, "tags": list(cred.tags) or ["default"]}
        for key in ("password", "ssh_key_file", "enable_secret"):
            if getattr(cred, key):
                item[key] = getattr(cred, key)
        creds.append(item)
    header = (
        "# LAB-ONLY demo credentials, copied from lab/demo.yml by `make demo`.\n"
        "# They open nothing but the fake devices of the lab. On a real network keep credentials\n"
        "# in an ansible-vault encrypted file (see docs/docsite/rst/backup.rst), never in clear text like this.\n"
        "# Host keys are checked against the known_hosts file the lab writes.\n"
    )
    options = {"enable": True, "known_hosts_file": str(DEMO / "lab" / "known_hosts")}
    body = {"netraven_credentials": creds, "config_backup_command_options": options}
    (inv / "group_vars" / "all.yml").write_text(header + yaml.safe_dump(body, sort_keys=False))
    os.chmod(inv / "group_vars" / "all.yml", 0o600)
    return inv


def stop_process_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Interrupt ``proc``'s process group (SIGINT, as Ctrl-C would), then SIGKILL it after ``grace`` seconds."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_backup(inv: Path, run: int, env: dict) -> tuple[int, dict, float]:
    """One `ansible-playbook netraven.core.backup` run.

    Returns (rc, {host: netraven_credential fact from the jsonfile fact cache}, seconds).
    """
    report_dir = DEMO / f"report-run{run}"
    cmd = [str(Path(PY).parent / "ansible-playbook"), "netraven.core.backup", "-i", str(inv),
           "-e", f"config_backup_dir={DEMO / 'backups'}", "-e", f"credential_report_dir={report_dir}",
           "-e", "config_backup_git=true"]
    print(f"\n=== run {run}: {' '.join(cmd[:4])} ...", flush=True)
    start = time.monotonic()
    # Its own process group, so an interrupt reaches the playbook and all its forks (killing only
    # the main process, as subprocess.run does, would orphan the forks).
    proc = subprocess.Popen(cmd, cwd=DEMO, env=env, start_new_session=True)  # pylint: disable=consider-using-with
    try:
        rc = proc.wait()
    except KeyboardInterrupt:
        stop_process_group(proc)
        raise
    elapsed = time.monotonic() - start
    return rc, cached_facts(DEMO / "facts"), elapsed


def cached_facts(folder: Path) -> dict:
    """``{host: netraven_credential}`` read from a jsonfile fact cache with Ansible's own cache plugin."""
    from ansible.plugins.loader import cache_loader, init_plugin_loader  # pylint: disable=import-outside-toplevel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "AnsibleCollectionFinder has already been configured" on the 2nd call
        init_plugin_loader()
    cache = cache_loader.get("ansible.builtin.jsonfile", _uri=str(folder), _prefix="", _timeout=0)
    facts = {}
    for host in cache.keys():
        fact = cache.get(host).get("netraven_credential")
        if fact:
            facts[host] = dict(fact)
    return facts


def summarise(spec, runs: list[tuple[int, dict, float]]) -> int:
    """Print what happened per device and run; return the demo's exit status."""
    expected = {d.name: expected_outcome(d, spec.credentials) for d in spec.devices}
    status = 0
    print("\n=== summary")
    for number, (rc, facts, elapsed) in enumerate(runs, 1):
        ok = [n for n, f in facts.items() if f.get("outcome") == "success"]
        attempts = sum(int(f.get("attempts") or 0) for f in facts.values())
        print(f"run {number}: {elapsed:.1f} s, {len(ok)}/{len(expected)} devices backed up, {attempts} login attempts, "
              f"ansible-playbook exit status {rc}")
        if rc not in (0, 2):
            print(f"  UNEXPECTED: exit status {rc} (2 only means that some hosts failed)")
            status = 1
        for name in sorted(expected):
            got = facts.get(name, {}).get("outcome")
            want = expected[name]
            if got == "success" and want == "success":
                continue
            intended = got in INTENDED and want != "success"
            if not intended:
                status = 1
            if number == 1 or not intended:
                note = "expected: the lab is built for it" if intended else f"UNEXPECTED (the lab implies {want})"
                print(f"  {name:<14} {got or 'no result':<16} {note}")
    if len(runs) == 2:
        worked = [n for n, f in runs[0][1].items() if f.get("outcome") == "success"]
        one = [n for n in worked if int(runs[1][1].get(n, {}).get("attempts") or 0) == 1]
        print(f"learned order: {len(one)} of the {len(worked)} devices that worked in run 1 took exactly one "
              f"login attempt in run 2")
        if len(one) != len(worked):
            status = 1
    report = DEMO / "report-run2"
    written = all((report / name).exists() for name in ("report.json", "report.md", "report.html"))
    print(f"\nbackups: {DEMO / 'backups'} (a git repository, one commit per run)")
    print(f"report:  {report / 'report.md'} and report.json" + ("" if written else " (NOT WRITTEN)"))
    print(f"page:    {report / 'report.html'} (open it in a browser; self-contained, prints on A4)")
    if not written:
        status = 1
    print("make demo: " + ("OK (every failure above is one the lab is built to show)" if status == 0 else "FAILED"))
    return status


def main() -> int:
    """Set up, run twice, summarise; the lab is always stopped."""
    if (DEMO / "lab" / "state.json").exists():  # a lab left by an earlier demo that was killed hard
        subprocess.run([PY, "-m", "lab", "down", "--state-dir", str(DEMO / "lab")], cwd=ROOT, check=False)
    if DEMO.exists():
        shutil.rmtree(DEMO)
    DEMO.mkdir()
    spec = load_lab(LAB_FILE)
    env = dict(os.environ)
    env.update({
        "PATH": str(Path(PY).parent) + os.pathsep + env.get("PATH", ""),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "build" / "collections"),
        "NETRAVEN_METRICS_STORE": f"sqlite:///{DEMO / 'metrics.db'}",
        "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile",  # netraven_credential is cacheable: keep it
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(DEMO / "facts"),
        "ANSIBLE_FORKS": env.get("ANSIBLE_FORKS", "12"),
        "ANSIBLE_FORCE_COLOR": env.get("ANSIBLE_FORCE_COLOR", "1" if sys.stdout.isatty() else "0"),
    })

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    started = time.monotonic()
    print(f"=== starting the lab: {LAB_FILE.relative_to(ROOT)} ({len(spec.devices)} devices)", flush=True)
    try:
        up = subprocess.run([PY, "-m", "lab", "up", "--state-dir", str(DEMO / "lab"), str(LAB_FILE)],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if up.returncode != 0:
            print(up.stdout + up.stderr, file=sys.stderr)
            print("make demo: the lab did not start", file=sys.stderr)
            return 1
        inv = write_inventory(up.stdout, spec)
        runs = [run_backup(inv, 1, env), run_backup(inv, 2, env)]
        status = summarise(spec, runs)
    except KeyboardInterrupt:
        print("\nmake demo: interrupted", file=sys.stderr)
        status = 130
    finally:
        down = subprocess.run([PY, "-m", "lab", "down", "--state-dir", str(DEMO / "lab")],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        print("=== lab stopped" if down.returncode == 0 else f"=== lab down said: {down.stdout}{down.stderr}", flush=True)
    print(f"demo took {time.monotonic() - started:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
