"""One look for every screen: high contrast, large type, touch targets of 64 px or more."""

from __future__ import annotations

BLACK = "#0b0b0b"
WHITE = "#ffffff"
INK = "#111827"
PAPER = "#f8fafc"
BLUE = "#0b3d91"
GREEN = "#0a7d32"
AMBER = "#b45309"
RED = "#b91c1c"
GREY = "#4b5563"
SLOT_FREE = "#e5e7eb"
SLOT_DAILY = "#1d4ed8"
SLOT_CONFISCATION = "#b91c1c"
SLOT_OUT = "#6b7280"

TOUCH = 64  # minimum height/width of anything a finger presses

STYLE_SHEET = f"""
QWidget {{ font-size: 20px; color: {INK}; background: {PAPER}; }}
QPushButton {{
    min-height: {TOUCH}px; min-width: {TOUCH}px; padding: 6px 18px;
    border-radius: 10px; border: 2px solid {BLUE}; background: {WHITE}; color: {BLUE};
    font-weight: 600;
}}
QPushButton:pressed {{ background: {BLUE}; color: {WHITE}; }}
QPushButton:disabled {{ border-color: #9ca3af; color: #9ca3af; }}
QPushButton[role="primary"] {{ background: {BLUE}; color: {WHITE}; }}
QPushButton[role="danger"] {{ background: {RED}; color: {WHITE}; border-color: {RED}; }}
QLineEdit, QComboBox, QDateEdit, QTimeEdit, QSpinBox, QPlainTextEdit, QTextEdit {{
    min-height: 48px; padding: 4px 10px; border: 2px solid {GREY}; border-radius: 8px;
    background: {WHITE};
}}
QCheckBox {{ min-height: 48px; }}
QCheckBox::indicator {{ width: 36px; height: 36px; }}
QTabBar::tab {{ min-height: 56px; min-width: 140px; padding: 4px 16px; font-weight: 600; }}
QTabBar::tab:selected {{ background: {BLUE}; color: {WHITE}; }}
QHeaderView::section {{ padding: 8px; font-weight: 700; background: #e2e8f0; }}
QTableView {{ background: {WHITE}; alternate-background-color: #f1f5f9; }}
QTableView::item {{ padding: 6px; }}
QScrollBar:vertical {{ width: 28px; }}
QScrollBar:horizontal {{ height: 28px; }}
QLabel[role="error"] {{ color: {RED}; font-weight: 700; }}
QLabel[role="title"] {{ font-size: 32px; font-weight: 800; }}
"""

# -- the pupil-facing kiosk screen ---------------------------------------------------------
KIOSK_IDLE = INK
KIOSK_BAR = BLACK
KIOSK_MUTED = "#cbd5e1"  # secondary text on the dark idle screen (contrast 12:1 on INK)
# Result backgrounds, each with white text at 5:1 or better.
TONE_COLOURS = {"success": GREEN, "info": BLUE, "warning": AMBER, "error": RED}


def kiosk_button_css(height: int, font_px: int, *, primary: bool = False) -> str:
    """A large button for the kiosk's coloured pages: white, or solid ink when primary."""
    height = max(TOUCH, height)
    background, text = (INK, WHITE) if primary else (WHITE, INK)
    return (
        f"QPushButton {{ min-height: {height}px; min-width: {TOUCH}px; font-size: {font_px}px;"
        f" font-weight: 700; padding: 4px 28px; border-radius: 12px;"
        f" border: 3px solid {WHITE}; background: {background}; color: {text}; }}"
        f" QPushButton:pressed {{ background: {GREY}; color: {WHITE}; }}"
    )
