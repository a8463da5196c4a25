"""Customer-facing explanations of diagnostic results, worded by templates/ files."""
