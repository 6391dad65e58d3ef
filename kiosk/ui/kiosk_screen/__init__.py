"""The screen a pupil sees: ``outcomes`` (what to show for a scan, no widgets), ``turns``
(whose turn it is: cards in view, the newest scan, no widgets), ``jobs`` (the database work
for a tap or scan, run in the background), the pages, and ``screen`` (``KioskScreen``,
which ties them together with its parts ``scan_flow`` (scans, answers, Undo, probing
counted), ``home_time`` (giving back only with a member of staff there) and
``staff_desk`` (the Staff menu and its PIN))."""
