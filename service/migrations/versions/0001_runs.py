"""The runs table as the first SQLite store made it (model files beside it in models/).

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("started", sa.Float),
        sa.Column("ended", sa.Float),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("session", sa.Text),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("history", sa.Text, nullable=False, server_default='{"loss": [], "val_loss": []}'),
        sa.Column("elapsed", sa.Float),
        sa.Column("result", sa.Text),
        sa.Column("model_file", sa.Text),
        sa.Column("model_sha256", sa.Text),
        sa.Column("cancel_requested", sa.Integer, nullable=False, server_default="0"),
        sa.Column("worker_pid", sa.Integer),
        sa.Column("worker_host", sa.Text),
        sa.Column("group_id", sa.Text),
    )
    op.create_index("runs_created", "runs", ["created"])


def downgrade() -> None:
    op.drop_table("runs")
