"""netraven.core device lab: fake SSH network devices on 127.0.0.1 for the demo, tests and bench.

Entry points: ``python -m lab up FILE | down | status`` (see ``lab/__main__.py``), the pytest
fixture ``lab`` (``lab/pytest_plugin.py``) and :func:`lab.control.start`. File format and
behaviours: docs/docsite/rst/lab.rst. This package is test tooling; it is not part of the collection tarball.
"""
from __future__ import annotations

from .control import LabError, RunningLab, start
from .spec import LabSpec, LabSpecError, load_lab

__all__ = ["LabError", "LabSpec", "LabSpecError", "RunningLab", "load_lab", "start"]
