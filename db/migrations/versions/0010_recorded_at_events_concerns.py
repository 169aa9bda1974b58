"""course events and concerns: the moment they were recorded (issue 12)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 10:00:00.000000

Rows from before stay NULL: the due rules take such an event or concern, when dated on the day
the patient was last presented, as recorded before the case was concluded (pathway.Window).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('course_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.drop_column('recorded_at')

    with op.batch_alter_table('course_event', schema=None) as batch_op:
        batch_op.drop_column('recorded_at')
