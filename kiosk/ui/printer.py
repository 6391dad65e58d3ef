"""Printing a saved PDF straight to a printer, with no viewer opened: for the kiosk, whose
screen faces the pupils' queue (a viewer would show them the document, and be a desktop
program behind the full-screen kiosk). Each page is drawn from the PDF (Qt PDF) at
``RENDER_DPI`` and painted to the printer's page. QPainter may paint on a QPrinter off the
GUI thread, so this runs in a background job."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from kiosk.errors import KioskError

RENDER_DPI = 200  # sharp on paper; an A4 page is then 1654 x 2339 px (15 MB while drawn)


class PrintFailed(KioskError):
    default_message = "The printer could not be used."


def default_printer() -> QPrinter | None:
    """The computer's default printer for A4, or None when none is set up."""
    info = QPrinterInfo.defaultPrinter()
    if info.isNull():
        return None
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    return printer


def printer_name(printer: QPrinter) -> str:
    """Its name, or the file's it prints into (a PDF printer)."""
    return printer.printerName() or Path(printer.outputFileName()).name or "the printer"


def print_pdf(path: Path, printer: QPrinter) -> int:
    """Print every page of the PDF at ``path``; the number of pages. PrintFailed (with
    words for staff) if the file cannot be read or the printer cannot be started."""
    document = QPdfDocument()
    if document.load(str(path)) != QPdfDocument.Error.None_:
        raise PrintFailed(f"The list was saved but could not be read back to print: {path.name}")
    pages = document.pageCount()
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintFailed(f"{printer_name(printer)} could not be started.")
    try:
        for page in range(pages):
            if page and not printer.newPage():
                raise PrintFailed(f"{printer_name(printer)} stopped after {page} pages.")
            _paint_page(painter, document, page)
    finally:
        painter.end()
        document.close()
    return pages


def _paint_page(painter: QPainter, document: QPdfDocument, page: int) -> None:
    points = document.pagePointSize(page)
    image = document.render(page, (points * RENDER_DPI / 72).toSize())
    area = painter.viewport()
    fitted = QSize(image.width(), image.height()).scaled(
        area.size(), Qt.AspectRatioMode.KeepAspectRatio
    )
    painter.drawImage(QRect(area.topLeft(), fitted), image)
