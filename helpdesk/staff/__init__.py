"""Staff accounts and the staff console."""
