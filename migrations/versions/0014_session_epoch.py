"""sessions that end: a per-user session epoch (issue 13)

`users.session_epoch` is copied into a browser's signed session cookie at sign-in; a session whose
epoch is not the user's current one is signed out. Sign-out, a password change and deactivation
bump it, so a cookie copied before any of them opens nothing afterwards, on any server.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
