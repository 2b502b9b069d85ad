"""Initial workspace schema: projects and everything a review keeps.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Frozen copy of the tables as first released; later revisions alter them
instead of editing this file. DataFrames and settings are JSON text (floats
written with ``repr`` so they come back bit for bit); evidence rows keep
their key columns as real columns so uniqueness is enforced by the database.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NAME = 200


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("entered_by", sa.String(NAME), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _project_fk() -> sa.Column:
    return sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(NAME), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "user_sources",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("source_id", sa.String(NAME), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        *_stamps(),
        sa.UniqueConstraint("project_id", "source_id"),
    )
    op.create_table(
        "user_results",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("result_id", sa.String(NAME), nullable=False),
        sa.Column("source_id", sa.String(NAME), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        *_stamps(),
        sa.UniqueConstraint("project_id", "result_id"),
    )
    op.create_table(
        "images",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "figures",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("image_sha256", sa.String(64), sa.ForeignKey("images.sha256"), nullable=False),
        sa.Column("calibration", sa.Text, nullable=False),
        *_stamps(),
        sa.UniqueConstraint("project_id", "name"),
    )
    op.create_table(
        "curves",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("arm", sa.String(NAME), nullable=False),
        sa.Column("figure", sa.String(NAME), nullable=True),
        sa.Column("origin", sa.String(NAME), nullable=False),
        sa.Column("points", sa.Text, nullable=False),
        sa.Column("censor_times", sa.Text, nullable=False),
        sa.Column("at_risk", sa.Text, nullable=True),
        *_stamps(),
        sa.UniqueConstraint("project_id", "arm"),
    )
    op.create_table(
        "reconstructions",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("label", sa.String(NAME), nullable=False),
        sa.Column("origin", sa.String(NAME), nullable=False),
        sa.Column("ipd", sa.Text, nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        *_stamps(),
        sa.UniqueConstraint("project_id", "label"),
    )
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("kind", sa.String(NAME), nullable=False),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        *_stamps(),
        sa.UniqueConstraint("project_id", "kind", "name"),
    )


def downgrade() -> None:
    for table in (
        "analyses", "reconstructions", "curves", "figures", "images",
        "user_results", "user_sources", "projects",
    ):
        op.drop_table(table)
