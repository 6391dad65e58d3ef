"""The recovery sheet: the school root's private key, printed once for the school safe.

It is the only copy of the root key: the kiosk does not keep it. With it an administrator
enrols a further kiosk, revokes a stolen or retired one, and continues the chain on a new
PC after a restore (a handover). The fingerprint on it is public: it is printed on the
governors' reports and checked by ``kiosk verify-log --fingerprint``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk.printing.draw import draw_qr
from kiosk.record import keys

_STEPS = [
    "Keep this sheet in the school safe. It is the only copy of this key: the kiosk does",
    "not keep it. Whoever has it can sign changes to the kiosks' keys, so treat it like",
    "the safe's own key. Do not photograph it or type it into anything but a kiosk.",
    "",
    "It is needed to: add another kiosk (kiosk audit-keys enrol), stop a stolen or",
    "retired kiosk (kiosk audit-keys revoke), and carry on the same record on a new PC",
    "after restoring a backup (kiosk audit-keys handover).",
    "",
    "The school audit fingerprint is public: give it to the headteacher and the governors.",
    "Any copy of the database can be checked with it alone:",
    "    kiosk verify-log --db COPY --fingerprint 'FINGERPRINT'",
]


def grouped(hex_text: str) -> str:
    return " ".join(hex_text[i : i + 4] for i in range(0, len(hex_text), 4))


def write_sheet(path: Path, school_name: str, recovery_key: str, fingerprint: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas = Canvas(str(path), pagesize=A4, invariant=True)
    canvas.setTitle("Audit recovery key")
    width, height = A4
    y = height - 25 * mm
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(20 * mm, y, f"{school_name}: audit recovery key")
    y -= 8 * mm
    canvas.setFont("Helvetica", 9)
    canvas.drawString(20 * mm, y, f"Made {dt.date.today():%d %B %Y} by the hand-in kiosk.")
    y -= 12 * mm
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(20 * mm, y, "Recovery key (secret):")
    canvas.setFont("Courier-Bold", 13)
    for part in (recovery_key[:32], recovery_key[32:]):
        y -= 7 * mm
        canvas.drawString(25 * mm, y, grouped(part))
    draw_qr(canvas, recovery_key, width - 70 * mm, y - 8 * mm, 50 * mm)
    y -= 14 * mm
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(20 * mm, y, "School audit fingerprint (public):")
    canvas.setFont("Courier", 10)
    shown = keys.show_fingerprint(fingerprint)
    for part in (shown[:39], shown[40:]):
        y -= 6 * mm
        canvas.drawString(25 * mm, y, part)
    y -= 14 * mm
    canvas.setFont("Helvetica", 10)
    for line in _STEPS:
        canvas.drawString(20 * mm, y, line)
        y -= 5 * mm
    canvas.showPage()
    canvas.save()
    return path
