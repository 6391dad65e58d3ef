"""What the headteacher's exports and the governors' summary read.

``filter``: what to report on, and the columns of a log; ``custody_log`` and ``audit_log``:
each log's columns, query and rows; ``reader``: a log read from one snapshot
(``Database.snapshot``, which never holds up the kiosk); ``governors``: the summary.

The logs are streamed, never loaded whole: a year of a large school is 600,000 audit
events. Times leave as school-local text, ``YYYY-MM-DD HH:MM:SS`` in Europe/London
(``kiosk.clock.LocalClock``); the writers turn the text into what their format needs.
"""
