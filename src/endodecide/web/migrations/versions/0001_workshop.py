"""The workshop's first schema: sessions, their rules and profiles, participants, rounds,
ballots (one per participant, rule and round) and sign-offs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(11), primary_key=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("join_code", sa.String(8), nullable=False, unique=True),
        sa.Column("facilitator_hash", sa.String(64), nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("pack_fingerprint", sa.String(12), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_table(
        "session_rules",
        sa.Column("session_id", sa.String(11), sa.ForeignKey("sessions.id"), primary_key=True),
        sa.Column("rule_id", sa.String(5), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(12), nullable=False),
    )
    op.create_table(
        "session_profiles",
        sa.Column("session_id", sa.String(11), sa.ForeignKey("sessions.id"), primary_key=True),
        sa.Column("profile_id", sa.String(80), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(11), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("joined", sa.DateTime, nullable=False),
    )
    op.create_index("ix_participants_session_id", "participants", ["session_id"])
    op.create_table(
        "rounds",
        sa.Column("session_id", sa.String(11), sa.ForeignKey("sessions.id"), primary_key=True),
        sa.Column("rule_id", sa.String(5), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("opened", sa.DateTime, nullable=False),
        sa.Column("closed", sa.DateTime, nullable=True),
    )
    op.create_table(
        "ballots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(11), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id"), nullable=False),
        sa.Column("rule_id", sa.String(5), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("vote", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("proposed_edit", sa.Boolean, nullable=False),
        sa.Column("cast", sa.DateTime, nullable=False),
        sa.UniqueConstraint("participant_id", "rule_id", "round", name="one_ballot"),
    )
    op.create_index("ix_ballots_session_id", "ballots", ["session_id"])
    op.create_table(
        "sign_offs",
        sa.Column("session_id", sa.String(11), sa.ForeignKey("sessions.id"), primary_key=True),
        sa.Column("rule_id", sa.String(5), primary_key=True),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("agree", sa.Integer, nullable=False),
        sa.Column("voters", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(12), nullable=False),
        sa.Column("signed", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "sign_offs",
        "ballots",
        "rounds",
        "participants",
        "session_profiles",
        "session_rules",
        "sessions",
        "settings",
    ):
        op.drop_table(table)
