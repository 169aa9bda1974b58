"""login throttle: failed logins per account and per client (issue 13)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 12:00:00.000000

One row per account ('konto:<staff id>'), per unknown name ('navn:<name>') and per client
('klient:<address>'): the failures since the last success, the last failure and the end of a
lock (conference.services.accounts).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=240), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle')),
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_login_throttle_last_failure_at'), ['last_failure_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_last_failure_at'))
    op.drop_table('login_throttle')
