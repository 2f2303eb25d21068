"""pytest plugin: the ``lab`` fixture (registered from the root conftest.py).

``lab(spec, **kw) -> RunningLab`` starts a lab (a lab file path or a dict in the lab file
format) in a background process whose state folder lives under the test's tmp_path, and
stops every lab it started when the test ends, passed or failed. The server process also
exits by itself if the pytest process dies. Keyword arguments go to :func:`lab.control.start`
(``base_dir``, ``timeout``).

Example::

    def test_login(lab):
        running = lab({"credentials": [...], "devices": [...]})
        conn = netmiko.ConnectHandler(**running.netmiko_params("r1"))
        assert running.auth_log("r1")[-1]["accepted"]
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from .control import RunningLab, start
from .silent import SilentServer


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Callable[..., RunningLab]]:
    """Factory fixture: ``lab(spec_dict_or_path, **start_kwargs) -> RunningLab``; always stopped."""
    started: list[RunningLab] = []

    def factory(spec: Any, **kwargs: Any) -> RunningLab:
        kwargs.setdefault("state_dir", tmp_path / f"lab{len(started)}")
        kwargs.setdefault("watch_pid", os.getpid())
        running = start(spec, **kwargs)
        started.append(running)
        return running

    yield factory
    errors = []
    for running in started:
        try:
            running.stop()
        except Exception as exc:  # noqa: BLE001 - stop the others, then report  # pylint: disable=broad-except
            errors.append(f"{running.name}: {exc}")
    if errors:
        pytest.fail("lab fixture could not stop: " + "; ".join(errors))


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A TCP server on 127.0.0.1 that accepts and never answers (see lab/silent.py); closed after the test."""
    server = SilentServer()
    yield server
    server.close()
