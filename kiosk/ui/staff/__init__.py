"""The staff console: log-in, dashboard, lists, release, confiscate, devices, end of day."""
