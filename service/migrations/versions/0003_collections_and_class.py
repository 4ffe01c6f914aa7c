"""Sweeps, scans and backtests; a priority per run; nicknames and app-wide settings for the class.

- ``runs.priority``: 0 for a student's own click, 1 for a run that a sweep, scan or backtest
  queued; trainers claim the lowest priority first, so a single click starts ahead of a sweep.
- ``collections``: a sweep, scan or backtest (its kind, its spec as JSON, the browser session
  that started it, its details such as skipped tickers). Its runs carry its id as ``group_id``.
- ``nicknames``: the nickname a browser session chose for the class view (no accounts).
- ``app_settings``: small app-wide values set at run time (the run pinned to the projector).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer, nullable=False, server_default="0"))
    op.create_index("runs_group", "runs", ["group_id"])
    op.create_table(
        "collections",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("session", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_table(
        "nicknames",
        sa.Column("session", sa.Text, primary_key=True),
        sa.Column("nickname", sa.Text, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_table(
        "app_settings",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("app_settings")
    op.drop_table("nicknames")
    op.drop_table("collections")
    op.drop_index("runs_group", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("priority")
