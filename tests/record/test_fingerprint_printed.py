"""The school audit fingerprint is printed where a headteacher or parent would check it:
the governors' summary and the receipts, with the command that checks a copy against it."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from kiosk.exports.pdf import write_summary_pdf
from kiosk.printing.receipts import custody_receipt
from kiosk.record.keys import show_fingerprint
from kiosk.services import chain_of_custody, confiscation
from kiosk.services.reports.filter import ReportFilter
from kiosk.services.reports.governors import summary


def pdf_words(path: Path) -> str:
    result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
    return " ".join(result.stdout.split())


def test_the_governors_summary_prints_the_fingerprint_and_how_to_check(signed, tmp_path):
    today = dt.date.today()
    made = summary(signed.sessions, ReportFilter(today, today))
    out = tmp_path / "governors.pdf"
    write_summary_pdf(made, out, "Sam Senior")
    words = pdf_words(out)
    assert show_fingerprint(signed.fingerprint).split("  ")[0] in words
    assert f"--expect {made.chain.last_seq}:{made.chain.last_hash}" in words


def test_a_custody_receipt_prints_the_fingerprint(signed, tmp_path):
    office = signed.school.actors["office"]
    info = confiscation.confiscate(
        signed.sessions, office, signed.school.pupil_ids[0], "used in lesson", "In maths"
    )
    chain = chain_of_custody.chain_of_custody(signed.sessions, info.id)
    assert chain.fingerprint == show_fingerprint(signed.fingerprint)
    out = custody_receipt(tmp_path / "r.pdf", chain, school_name="KMA", printed_by="Olivia")
    words = pdf_words(out)
    assert show_fingerprint(signed.fingerprint).split("  ")[0] in words
    assert f"--expect {chain.events[-1].seq}:{chain.events[-1].hash}" in words


def test_an_unsigned_log_says_so_on_the_summary(sessions, school, tmp_path):
    today = dt.date.today()
    out = tmp_path / "governors.pdf"
    write_summary_pdf(summary(sessions, ReportFilter(today, today)), out, "Sam Senior")
    assert "not signed yet" in pdf_words(out)


def test_an_xlsx_export_names_the_fingerprint_on_its_about_sheet(signed, tmp_path):
    import openpyxl

    from kiosk.exports.run import ExportRequest, run_export

    today = dt.date.today()
    out = tmp_path / "log.xlsx"
    senior = signed.school.actors["senior"]
    run_export(
        signed.sessions, senior, ExportRequest("audit", "xlsx", ReportFilter(today, today)), out
    )
    about = dict(openpyxl.load_workbook(out, read_only=True)["About"].iter_rows(values_only=True))
    assert about["School audit fingerprint"] == show_fingerprint(signed.fingerprint)
