"""The screen a pupil sees: ``outcomes`` (what to show for a scan, no widgets), ``jobs``
(the database work for a tap or scan, run in the background), the pages, and ``screen``
(``KioskScreen``, which ties them together)."""
