"""CDS Hooks: the cards the service issued (rule and wording, no patient data) and the feedback
users sent on them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cds_cards",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("service_id", sa.String(60), nullable=False),
        sa.Column("rule_id", sa.String(20), nullable=False),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("indicator", sa.String(10), nullable=False),
        sa.Column("issued", sa.DateTime, nullable=False),
    )
    op.create_table(
        "cds_feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.String(60), nullable=False),
        sa.Column("card_uuid", sa.String(36), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("reason_system", sa.String(200), nullable=True),
        sa.Column("reason_code", sa.String(60), nullable=True),
        sa.Column("reason_display", sa.String(200), nullable=True),
        sa.Column("user_comment", sa.Text, nullable=False),
        sa.Column("outcome_timestamp", sa.String(40), nullable=False),
        sa.Column("received", sa.DateTime, nullable=False),
    )
    op.create_index("ix_cds_feedback_card_uuid", "cds_feedback", ["card_uuid"])


def downgrade() -> None:
    op.drop_table("cds_feedback")
    op.drop_table("cds_cards")
