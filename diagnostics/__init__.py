"""Pure diagnostics for a mail help desk: bounces, SPF/DMARC/DKIM/MX, client settings.

This package never imports the application (`helpdesk`), a web framework, a database layer
or a template engine: it takes data (and, for DNS, a resolver object) and returns frozen
dataclasses carrying codes and facts. Wording lives in `templates/` and `kb/`.
"""
