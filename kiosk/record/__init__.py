"""The signed, forward-secure audit record (issue 14), on top of the hash chain of
``kiosk.services.audit``.

- ``keys``: Ed25519 keys, the school audit fingerprint, and the exact bytes each signature
  covers (pure: no database, no files).
- ``lines``: key lines in the chain itself: the school root, kiosk enrolment, daily epochs,
  revocation and handover are audit events carrying their signatures.
- ``seal``: the kiosk side: signs each new chain head, rotates the key each school day
  (erasing the old one), enrols, revokes, hands over.
- ``anchors``: the daily signed head copied to a second place.
- ``check``: ``kiosk verify-log`` with public material only (a copy plus the fingerprint).
- ``sheet``: the recovery sheet for the school safe.
"""
