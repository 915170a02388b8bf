"""The model registry: models, their versions and aliases.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(length=36)
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the registry tables."""
    op.create_table(
        "ml_models",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("task", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_id", _ID, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_ml_models_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ml_models")),
    )
    op.create_table(
        "ml_model_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("model_name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("framework", sa.String(length=32), nullable=False),
        sa.Column("storage_key", sa.String(length=1024), nullable=False),
        sa.Column("serving_key", sa.String(length=1024), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("input_schema", _JSON, nullable=False),
        sa.Column("output_schema", _JSON, nullable=False),
        sa.Column("metrics", _JSON, nullable=False),
        sa.Column("training_data", _JSON, nullable=False),
        sa.Column("meta", _JSON, nullable=False),
        sa.Column("tags", _JSON, nullable=False),
        sa.Column("deprecated", sa.Boolean(), nullable=False),
        sa.Column("deprecation_note", sa.Text(), nullable=True),
        sa.Column("download_count", sa.Integer(), nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_ml_model_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["model_name"],
            ["ml_models.name"],
            name=op.f("fk_ml_model_versions_model_name_ml_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ml_model_versions")),
        sa.UniqueConstraint(
            "model_name", "version", name=op.f("uq_ml_model_versions_model_name_version")
        ),
    )
    op.create_index(
        "ix_ml_model_versions_model_name", "ml_model_versions", ["model_name"], unique=False
    )
    op.create_table(
        "ml_model_aliases",
        sa.Column("model_name", sa.String(length=128), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_version", sa.Integer(), nullable=True),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_name"],
            ["ml_models.name"],
            name=op.f("fk_ml_model_aliases_model_name_ml_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_name", "alias", name=op.f("pk_ml_model_aliases")),
    )


def downgrade() -> None:
    """Drop the registry tables."""
    op.drop_table("ml_model_aliases")
    op.drop_index("ix_ml_model_versions_model_name", table_name="ml_model_versions")
    op.drop_table("ml_model_versions")
    op.drop_table("ml_models")
