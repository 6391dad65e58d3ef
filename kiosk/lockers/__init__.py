"""Electronic locker banks: drivers for lock-control boards (no Qt, no database).

``driver`` defines what any board family offers and the errors; ``kerong`` is the Kerong
KR-CU16 RS485 driver; ``simulator`` is a KR-CU16 bank on a pseudo-terminal for tests and
demos. The school's rules about doors live in ``kiosk.services.lockers``.
"""
