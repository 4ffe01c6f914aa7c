"""Models in the database and a heartbeat per run: no shared disk between machines.

Each run's .keras file moves into the new ``model`` column (its SHA-256 is checked on the way; a
missing or changed file leaves the run without a model), ``heartbeat`` is added for liveness
across machines, and ``status`` gets an index for the queue.

Revision ID: 0002
Revises: 0001
"""
import hashlib
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("model", sa.LargeBinary))
        batch.add_column(sa.Column("heartbeat", sa.Float))
    models_dir = context.config.attributes.get("models_dir")
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, model_file, model_sha256 FROM runs WHERE model_file IS NOT NULL"))
    for run_id, model_file, sha in rows.fetchall():
        path = Path(models_dir or "") / str(model_file)
        data = path.read_bytes() if models_dir and path.is_file() else None
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            connection.execute(sa.text("UPDATE runs SET model_sha256 = NULL WHERE id = :id"), {"id": run_id})
            continue
        connection.execute(sa.text("UPDATE runs SET model = :data WHERE id = :id"), {"data": data, "id": run_id})
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("model_file")
    op.create_index("runs_status", "runs", ["status"])


def downgrade() -> None:
    op.drop_index("runs_status", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("model_file", sa.Text))
        batch.drop_column("heartbeat")
        batch.drop_column("model")
