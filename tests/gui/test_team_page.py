"""The Team page: administrators manage accounts; everyone else sees a read-only list."""

from __future__ import annotations

from PySide6.QtCore import Qt

from carecoord.gui.pages.team import TeamPage, UserDialog
from carecoord.services import users
from tests.gui.helpers import when_modal


def _page(qtbot, ctx) -> TeamPage:
    page = TeamPage(ctx)
    qtbot.addWidget(page)
    page.show()
    return page


def _rows(page):
    tree = page.list
    return [
        [tree.topLevelItem(i).text(c) for c in range(4)] for i in range(tree.topLevelItemCount())
    ]


def test_admin_adds_a_user(qtbot, gui_db, clinic, make_ctx):
    """An administrator fills the Add user dialog; the new colleague is listed and can sign in."""
    page = _page(qtbot, make_ctx(clinic.admin))
    assert page.add_button.isEnabled()

    def fill(dialog):
        assert isinstance(dialog, UserDialog)
        assert not dialog.ok_button.isEnabled()
        qtbot.keyClicks(dialog.full_name, "Rosa Reyes")
        qtbot.keyClicks(dialog.username, "rreyes")
        dialog.discipline.setCurrentIndex(dialog.discipline.findText("Nurse"))
        qtbot.keyClicks(dialog.password, "first-pass-1")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    when_modal(fill)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert ["Rosa Reyes", "rreyes", "Nurse", "Active"] in _rows(page)
    with gui_db.session() as s:
        assert users.sign_in(s, "rreyes", "first-pass-1").full_name == "Rosa Reyes"


def test_admin_deactivates_and_resets(qtbot, gui_db, clinic, make_ctx, monkeypatch):
    """Deactivate asks with a summary; the list says "Deactivated"; Reactivate undoes it."""
    page = _page(qtbot, make_ctx(clinic.admin))
    for i in range(page.list.topLevelItemCount()):
        if page.list.topLevelItem(i).text(1) == "swu":
            page.list.setCurrentItem(page.list.topLevelItem(i))
    assert page.selected().username == "swu"
    monkeypatch.setattr("carecoord.gui.pages.team.confirm", lambda *a, **k: True)
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    assert ["Sam Wu", "swu", "Social worker", "Deactivated"] in _rows(page)
    assert page.active_button.text() == "&Reactivate"
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    assert ["Sam Wu", "swu", "Social worker", "Active"] in _rows(page)

    def set_password(dialog):
        qtbot.keyClicks(dialog.password, "brand-new-pass")
        qtbot.keyClicks(dialog.repeat, "brand-new-pass")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    when_modal(set_password)
    qtbot.mouseClick(page.password_button, Qt.MouseButton.LeftButton)
    with gui_db.session() as s:
        assert users.sign_in(s, "swu", "brand-new-pass").username == "swu"


def test_nurse_sees_a_read_only_list(qtbot, clinic, make_ctx):
    """A nurse sees the team; every button is disabled and says who may use it."""
    page = _page(qtbot, make_ctx(clinic.nurse))
    assert len(_rows(page)) == 6
    for button in (page.add_button, page.edit_button, page.password_button, page.active_button):
        assert not button.isEnabled()
        assert button.toolTip() == "Only an administrator can manage users."
    assert "Only an administrator" in page.note.text()


def test_team_list_sorts_by_header(qtbot, clinic, make_ctx):
    """Clicking a column title sorts the list by it."""
    page = _page(qtbot, make_ctx(clinic.nurse))
    page.list.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    roles = [r[2] for r in _rows(page)]
    assert roles == sorted(roles)
