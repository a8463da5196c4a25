"""Where the knowledge base lives: the repository's kb/ folder beside the package."""

from pathlib import Path

KB_DIR = Path(__file__).resolve().parent.parent / "kb"
