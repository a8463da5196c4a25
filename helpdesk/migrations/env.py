"""Alembic environment: migrations always run on a connection handed in by helpdesk.db.migrate.

The help desk calls Alembic from its own event loop (`AsyncConnection.run_sync`), so
this file never opens an engine nor starts a loop itself.
"""

from alembic import context

from helpdesk.console import models as _console_models  # noqa: F401  (tables of the target metadata)
from helpdesk.db.models import Base
from helpdesk.mailbox import models as _mailbox_models  # noqa: F401  (tables of the target metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `helpdesk migrate`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
