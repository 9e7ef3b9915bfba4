"""Care plans for many patients at once (e.g. tomorrow's refill list), one PDF file each.

The runner takes any list of patients and a function that gathers one patient's input, so it
knows nothing of the store. It reports progress and stops between two patients when the user
cancels. One patient that cannot be printed does not stop the others: it is listed with the
reason.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from carecoord.reports.care_plan import CarePlanInput, render_care_plan


class Progress(Protocol):
    """What the GUI's task token offers (``gui.tasks.TaskToken``)."""

    @property
    def cancelled(self) -> bool: ...

    def report(self, done: int, total: int) -> None: ...


@dataclass
class BatchResult:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[object, str]] = field(default_factory=list)  # (patient, why)
    with_gaps: list[tuple[Path, list[str]]] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    @property
    def words(self) -> str:
        parts = [f"{len(self.written)} care plan{'s' if len(self.written) != 1 else ''} saved"]
        if self.with_gaps:
            parts.append(f"{len(self.with_gaps)} with details to fill in")
        if self.failed:
            parts.append(f"{len(self.failed)} could not be made")
        if self.cancelled:
            parts.append("stopped before the end (cancelled)")
        return ", ".join(parts) + "."


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def care_plan_file_name(data: CarePlanInput) -> str:
    """care-plan_MRN-0042_2026-11-24.pdf: sortable, and safe on every file system."""
    mrn = _UNSAFE.sub("-", data.patient.mrn.strip()).strip("-") or "no-record-number"
    return f"care-plan_{mrn}_{data.generated_at.date().isoformat()}.pdf"


def write_pdf(path: Path, pdf: bytes) -> None:
    """Write then rename, so a reader never sees half a file."""
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(pdf)
    os.replace(temporary, path)


def write_care_plans(
    patients: Sequence[object],
    gather: Callable[[object], CarePlanInput],
    out_dir: Path,
    *,
    task: Progress | None = None,
    written: Callable[[object, Path], None] | None = None,
) -> BatchResult:
    """One care plan per patient into ``out_dir``; see the module docstring.

    ``written(patient, path)`` runs after each file is written (the audit of the disclosure);
    if it fails, the file is removed again and the patient counts as failed.
    """
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    total = len(patients)
    for done, patient in enumerate(patients):
        if task is not None:
            if task.cancelled:
                result.cancelled = True
                break
            task.report(done, total)
        try:
            data = gather(patient)
            report = render_care_plan(data)
            path = out_dir / care_plan_file_name(data)
            write_pdf(path, report.pdf)
            if written is not None:
                try:
                    written(patient, path)
                except Exception:
                    path.unlink(missing_ok=True)
                    raise
        except Exception as exc:  # one bad record must not stop the list; say why
            result.failed.append((patient, str(exc) or type(exc).__name__))
            continue
        result.written.append(path)
        if report.gaps:
            result.with_gaps.append((path, report.gaps))
    else:
        if task is not None:
            task.report(total, total)
    result.seconds = time.perf_counter() - started
    return result
