"""PDF pages as pictures: the in-app preview and printing through the Qt print dialog.

Pages are rendered with pypdfium2. pdfium is not thread-safe, so rendering is serialised by a
lock (the preview renders on a worker thread, printing on the GUI thread).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pypdfium2 as pdfium
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

_PDFIUM = threading.Lock()
PRINT_DPI_CAP = 300  # sharp on paper without building 1200 dpi images


def page_images(
    pdf: bytes, scale: float = 1.25, pages: Sequence[int] | None = None
) -> list[QImage]:
    """Each page (or the given 0-based pages) as an image; ``scale`` 1 = 72 dpi."""
    images: list[QImage] = []
    with _PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            indexes = range(len(document)) if pages is None else pages
            for index in indexes:
                page = document[index]
                bitmap = page.render(scale=scale, rev_byteorder=True)
                width, height, stride = bitmap.width, bitmap.height, bitmap.stride
                image = QImage(bitmap.buffer, width, height, stride, QImage.Format.Format_RGB888)
                images.append(image.copy())  # own the pixels before pdfium frees them
                page.close()
        finally:
            document.close()
    return images


def page_count(pdf: bytes) -> int:
    with _PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            return len(document)
        finally:
            document.close()


def print_pdf(printer: QPrinter, pdf: bytes) -> int:
    """Print the pages chosen in the dialog (all by default); returns how many were printed."""
    total = page_count(pdf)
    first, last = printer.fromPage(), printer.toPage()
    if first <= 0 or last <= 0:
        first, last = 1, total
    wanted = list(range(max(first, 1) - 1, min(last, total)))
    dpi = min(printer.resolution(), PRINT_DPI_CAP)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("The printer could not be started.")
    try:
        for position, index in enumerate(wanted):
            if position:
                printer.newPage()
            image = page_images(pdf, scale=dpi / 72, pages=[index])[0]
            target = printer.pageLayout().paintRectPixels(printer.resolution())
            size = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(0, 0, size.width(), size.height()), image)
    finally:
        painter.end()
    return len(wanted)


class PdfPreview(QScrollArea):
    """The pages one under the other, as they will print."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("pdfPreview")
        self.setWidgetResizable(True)
        self._inner = QWidget()
        self._layout = QVBoxLayout(self._inner)
        self._layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._layout.setSpacing(12)
        self.setWidget(self._inner)
        self.page_labels: list[QLabel] = []

    def show_pages(self, images: Sequence[QImage]) -> None:
        for label in self.page_labels:
            self._layout.removeWidget(label)
            label.deleteLater()
        self.page_labels = []
        for number, image in enumerate(images, start=1):
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setAccessibleName(f"Page {number} of {len(images)}")
            label.setStyleSheet("border: 1px solid #999; background: white;")
            self._layout.addWidget(label)
            self.page_labels.append(label)
