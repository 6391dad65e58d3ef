"""Exports for the headteacher: the custody and audit logs (CSV, XLSX) and the governors'
summary (PDF). ``run.run_export`` is the one entry point. The package itself imports
nothing: the CSV export's second process (``csv_half``) starts without SQLAlchemy."""
