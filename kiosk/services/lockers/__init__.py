"""Locker banks in the school's rules: the door map (``mapping``), the bank a kiosk
drives (``bank``), doors opened for a hand-in, a release or an emergency (``doors``),
the monitor that follows each door until it is shut (``monitor``) and the faults staff
see on the dashboard (``faults``)."""
