"""The mailbox service: one interface, an embedded SQL implementation and an HTTP client."""
