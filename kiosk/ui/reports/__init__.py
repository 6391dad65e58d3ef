"""The reports panel (exports, backups) that the staff console shows to senior staff and
admins."""
