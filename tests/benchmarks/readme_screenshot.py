"""The README's screenshot: the demo clinic's dashboard as the nurse sees it (not a test).

QT_QPA_PLATFORM=offscreen python tests/benchmarks/readme_screenshot.py [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources/screenshots/main-window.png")
    parser.add_argument("--user", default="rn.chen")
    parser.add_argument("--page", default="dashboard")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from carecoord.gui.app import _application
    from carecoord.gui.context import AppContext
    from carecoord.gui.main_window import MainWindow
    from carecoord.gui.tasks import set_synchronous
    from carecoord.services import demo
    from carecoord.services.users import actor_for, list_users
    from carecoord.store.database import Database

    app = _application([])
    set_synchronous(True)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'demo.db'}")
        db.ensure_ready()
        with db.session() as session:
            demo.build_demo(session)
            user = next(u for u in list_users(session) if u.username == args.user)
            actor = actor_for(user)
        window = MainWindow(AppContext(db, actor), poll=False)
        window.resize(1600, 1000)
        window.show()
        window.show_page(args.page)
        for _ in range(20):
            app.processEvents()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(args.out))
        print(f"saved {args.out}")
        window._force_close = True
        window.close()
        db.dispose()
    QApplication.processEvents()


if __name__ == "__main__":
    main()
