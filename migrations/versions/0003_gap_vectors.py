"""gap vectors: each gap's sentence vector, stored once (bot/gaps/vectors.py)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 14:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("gaps", sa.Column("vector", sa.LargeBinary(), nullable=True))
    op.add_column("gaps", sa.Column("vector_model", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gaps") as batch:
        batch.drop_column("vector_model")
        batch.drop_column("vector")
