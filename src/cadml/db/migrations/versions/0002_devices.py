"""Twin devices: identity, type, tags, ingest key hash, MQTT credentials, retention.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(length=36)
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the devices table."""
    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("tags", _JSON, nullable=False),
        sa.Column("owner_id", _ID, nullable=True),
        sa.Column("key_prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("mqtt_username", sa.String(length=128), nullable=True),
        sa.Column("mqtt_password_hash", sa.String(length=200), nullable=True),
        sa.Column("retention_raw_days", sa.Float(), nullable=True),
        sa.Column("retention_rollup_days", sa.Float(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_devices_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_devices_key_hash")),
        sa.UniqueConstraint("mqtt_username", name=op.f("uq_devices_mqtt_username")),
    )
    op.create_index("ix_devices_type", "devices", ["type"], unique=False)


def downgrade() -> None:
    """Drop the devices table."""
    op.drop_index("ix_devices_type", table_name="devices")
    op.drop_table("devices")
