"""Where the knowledge base lives: the shipped kb/, found by helpdesk.resources."""

from helpdesk.resources import KB_DIR

__all__ = ["KB_DIR"]
