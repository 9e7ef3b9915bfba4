"""The patients list: search as you type, status filter, header sorting, lazy pages, opening."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QPoint, Qt

from carecoord.domain.enums import PatientStatus
from carecoord.gui.pages.patient_model import MRN, NAME, ObjectRole, PatientListModel
from carecoord.gui.pages.patients import PatientsPage, count_text
from carecoord.services.patients import PatientRow, SearchPage
from tests.gui.helpers import add_patient


def _page(qtbot, ctx):
    page = PatientsPage(ctx, search_delay_ms=10)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    return page


def _names(page):
    return [f"{r.family_name}, {r.given_names}" for r in page.model.rows]


def test_search_as_you_type_ignores_accents(qtbot, gui_db, clinic, make_ctx):
    """Typing "zoe" finds Zoë; the count label follows; clearing the box shows everyone."""
    add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    add_patient(gui_db, clinic.nurse, "B-2", "Müller", "Zoë")
    add_patient(gui_db, clinic.nurse, "C-3", "Okafor", "Ben")
    page = _page(qtbot, make_ctx(clinic.nurse))
    assert page.count.text() == "3 patients"
    qtbot.keyClicks(page.search, "zoe")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert _names(page) == ["Müller, Zoë"]
    assert page.count.text() == "1 patient"
    page.search.clear()
    qtbot.keyClicks(page.search, "c-3")
    qtbot.waitUntil(lambda: _names(page) == ["Okafor, Ben"])
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3)


def test_status_filter(qtbot, gui_db, clinic, make_ctx):
    """The status combo narrows the list; retired patients are hidden by default."""
    add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    add_patient(gui_db, clinic.nurse, "B-2", "Müller", "Zoë", status=PatientStatus.IMPLANTED)
    add_patient(gui_db, clinic.nurse, "C-3", "Okafor", "Ben", status=PatientStatus.RETIRED)
    page = _page(qtbot, make_ctx(clinic.nurse))
    assert page.model.total == 2
    page.status.setCurrentIndex(page.status.findData(PatientStatus.IMPLANTED.value))
    assert _names(page) == ["Müller, Zoë"]
    page.status.setCurrentIndex(page.status.findData(None))
    assert page.model.total == 3


def test_sorting_by_clicking_a_header(qtbot, gui_db, clinic, make_ctx):
    """Clicking "Record number" re-queries sorted by it; a second click reverses the order."""
    add_patient(gui_db, clinic.nurse, "Z-9", "Adams", "Ann")
    add_patient(gui_db, clinic.nurse, "A-1", "Young", "Yan")
    add_patient(gui_db, clinic.nurse, "M-5", "Moss", "Mo")
    page = _page(qtbot, make_ctx(clinic.nurse))
    assert [r.mrn for r in page.model.rows] == ["Z-9", "M-5", "A-1"]  # by name
    header = page.table.horizontalHeader()
    x = header.sectionViewportPosition(MRN) + header.sectionSize(MRN) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert page.model.sort_key == "mrn"
    first = [r.mrn for r in page.model.rows]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    second = [r.mrn for r in page.model.rows]
    assert sorted([first, second]) == [["A-1", "M-5", "Z-9"], ["Z-9", "M-5", "A-1"]]
    assert first != second


def test_enter_opens_the_patient(qtbot, gui_db, clinic, make_ctx):
    """Down from the search box reaches the list; Enter opens the selected patient."""
    add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    b = add_patient(gui_db, clinic.nurse, "B-2", "Müller", "Zoë")
    ctx = make_ctx(clinic.nurse)
    opened: list[int] = []
    ctx.open_patient = opened.append
    page = _page(qtbot, ctx)
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    assert page.selected_row().id == b.id
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened == [b.id]
    index = page.model.index(0, NAME)
    rect = page.table.visualRect(index)
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened[-1] == page.model.rows[0].id


def test_model_fetches_lazily_in_pages():
    """Only 200 rows are loaded at first; fetchMore adds the next page; data() needs no query."""
    rows = [
        PatientRow(
            i,
            f"M-{i:04}",
            f"Name{i:04}",
            "X",
            dt.date(1990, 1, 1),
            PatientStatus.REFERRED,
            None,
            "",
        )
        for i in range(450)
    ]
    calls: list[dict] = []

    def fetch(**q):
        calls.append(q)
        page = rows[q["offset"] : q["offset"] + q["limit"]]
        return SearchPage(page, len(rows) if q["with_total"] else q["offset"] + len(page))

    model = PatientListModel(fetch, today=dt.date(2026, 1, 1))
    model.reload()
    assert model.rowCount() == 200 and model.total == 450 and model.canFetchMore()
    model.fetchMore()
    model.fetchMore()
    assert model.rowCount() == 450 and not model.canFetchMore()
    assert [c["offset"] for c in calls] == [0, 200, 400]
    n = len(calls)
    assert model.index(449, NAME).data() == "NAME0449, X"
    assert model.index(3, 2).data() == "1 Jan 1990 (age 36)"
    assert model.index(5, 0).data(ObjectRole) is rows[5]
    assert len(calls) == n


def test_count_words():
    """The count is a sentence fragment with the right plural."""
    assert count_text(1) == "1 patient"
    assert count_text(0) == "0 patients"
    assert count_text(1234).replace("\u00a0", ",").replace(".", ",") == "1,234 patients"
