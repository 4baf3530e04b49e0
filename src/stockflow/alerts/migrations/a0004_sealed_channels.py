"""Alerts: channel targets become text, since they are stored sealed (a Fernet token is about
a third longer than what it seals). The rows themselves are sealed by the alerts worker at
start (`SqlAlertRepository.seal_channels`): a migration has no access to the keys.

Revision ID: a0004_sealed_channels
Revises: a0003_sms_usage
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0004_sealed_channels"
down_revision = "a0003_sms_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_channels") as batch:
        batch.alter_column("target", type_=sa.Text(), existing_type=sa.String(2048),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_channels") as batch:
        batch.alter_column("target", type_=sa.String(2048), existing_type=sa.Text(),
                           existing_nullable=False)
