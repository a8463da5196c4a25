"""The mail help desk service: channels, engine, staff console, storage."""

__version__ = "0.1.0"
