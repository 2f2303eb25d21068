"""Command line: ``python -m lab up FILE | down [LAB] | status [LAB]``.

- ``up FILE`` starts the lab in the background and, once every port listens, prints the served
  inventory (a netraven.core.devices YAML source) on stdout; a summary goes to stderr.
- ``down [LAB]`` stops it (by pid from the state folder) and frees its ports. LAB is a lab file
  or name; without it, the only running lab (or every one with ``--all``).
- ``status [LAB]`` lists running labs and their devices, ports, behaviours and auth counts.
``--state-dir`` overrides the default ``lab/state/<name>/``. Exit status 0 on success, 1 on error.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .control import STATE_ROOT, LabError, RunningLab, default_state_dir, find_labs, ports_in_use, remember, start, stop_command
from .spec import LabSpecError, load_lab


def _state_dirs(args: argparse.Namespace) -> list[Path]:
    """The state folders a command acts on: ``--state-dir``, the running labs named LAB, or every running lab."""
    if args.state_dir:
        return [Path(args.state_dir)]
    running = find_labs(STATE_ROOT)
    if args.lab:
        path = Path(args.lab)
        name = load_lab(path).name if path.is_file() else args.lab
        named = [sdir for sdir in running if _lab_name(sdir) == name]
        return named or [default_state_dir(name)]
    return running


def _lab_name(state_dir: Path) -> str | None:
    try:
        return RunningLab(state_dir).name
    except LabError:
        return None


def cmd_up(args: argparse.Namespace) -> int:
    """Start a lab and print its inventory."""
    t0 = time.monotonic()
    lab = start(args.file, state_dir=args.state_dir, timeout=args.timeout)
    remember(lab.name, lab.state_dir)
    sys.stdout.write(lab.inventory_yaml())
    sys.stdout.flush()
    where = " and ".join(sorted({str(d["host"]) for d in lab.devices}))
    print(f"lab {lab.name}: {len(lab.devices)} devices listening on {where} after {time.monotonic() - t0:.2f} s "
          f"(pid {lab.pid}, state {lab.state_dir}); stop with: {stop_command(lab.name, lab.state_dir)}", file=sys.stderr)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Stop one lab (or all with --all)."""
    dirs = _state_dirs(args)
    if not dirs:
        print("no running lab found", file=sys.stderr)
        return 0
    if len(dirs) > 1 and not args.all:
        names = ", ".join(d.name for d in dirs)
        raise LabError(f"several labs are running ({names}); name one or pass --all")
    for sdir in dirs:
        lab = RunningLab(sdir)
        ports = [d["port"] for d in lab.devices]
        lab.stop(timeout=args.timeout)
        busy = [p for host in {d["host"] for d in lab.devices}
                for p in ports_in_use([d["port"] for d in lab.devices if d["host"] == host], host)]
        if busy:
            raise LabError(f"lab {lab.name} stopped but ports {busy} still answer")
        print(f"lab {lab.name} stopped (pid {lab.pid}); {len(ports)} ports freed", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print running labs and their devices."""
    dirs = [d for d in _state_dirs(args) if (d / "state.json").exists()]
    if not dirs:
        print("no running lab")
        return 0 if not args.lab else 1
    for sdir in dirs:
        lab = RunningLab(sdir)
        state = "running" if lab.running() else "DEAD (stale state)"
        print(f"lab {lab.name}: {state}, pid {lab.pid}, started {lab.state['started']}, state {sdir}")
        print(f"  {'device':<22} {'platform':<14} {'port':>5}  {'auth ok/fail':>12}  behaviours / tags")
        for dev in lab.state["devices"]:
            inv = dev["inventory"]
            log = lab.auth_log(inv["name"])  # SSH logins only, not enable checks
            ok = sum(1 for r in log if r["accepted"])
            print(f"  {inv['name']:<22} {inv['platform']:<14} {inv['port']:>5}  {ok:>5}/{len(log) - ok:<6}  "
                  f"{','.join(dev['behaviours'])} / {','.join(inv['tags'])}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the sub-command; errors print one line and return 1."""
    parser = argparse.ArgumentParser(prog="python -m lab", description="fake SSH network devices on 127.0.0.1")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start a lab in the background and print its inventory")
    p_up.add_argument("file", help="lab YAML file")
    p_up.add_argument("--state-dir", help="state folder (default lab/state/<name>)")
    p_up.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for every port (default 60)")
    for name, helptext in (("down", "stop a running lab"), ("status", "show running labs")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("lab", nargs="?", help="lab file or name (default: every running lab)")
        sp.add_argument("--state-dir", help="state folder of the lab")
        sp.add_argument("--timeout", type=float, default=10.0, help="seconds before SIGKILL (down)")
        sp.add_argument("--all", action="store_true", help="down: stop every running lab")
    p_serve = sub.add_parser("_serve", help=argparse.SUPPRESS)
    p_serve.add_argument("state_dir")
    p_serve.add_argument("--watch-pid", type=int)
    args = parser.parse_args(argv)
    try:
        if args.command == "_serve":
            from .serve import serve  # pylint: disable=import-outside-toplevel
            return serve(Path(args.state_dir), args.watch_pid)
        return {"up": cmd_up, "down": cmd_down, "status": cmd_status}[args.command](args)
    except (LabError, LabSpecError) as exc:
        print(f"lab: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `python -m lab status | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
