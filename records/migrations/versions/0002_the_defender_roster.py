"""The Defender roster in the record: each Defender, their away periods, and who changed what when.

Also the reason staff give for offering a case to a Defender who was away or at capacity
(``assignment_offers.override_sealed``), and the indexes ``casefac suggest`` reads through.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('roster_defenders',
    sa.Column('defender_id', sa.String(length=40), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('regions', sa.Text(), nullable=False),
    sa.Column('services', sa.String(length=400), nullable=False),
    sa.Column('languages', sa.String(length=40), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=True),
    sa.Column('hourly_rate_amount', sa.BigInteger(), nullable=False),
    sa.Column('hourly_rate_currency', sa.String(length=3), nullable=False),
    sa.Column('payout_kind', sa.String(length=16), nullable=False),
    sa.Column('payout_account', sa.String(length=70), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('name_sealed', sa.Text(), nullable=False),
    sa.Column('email_sealed', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('defender_id', name=op.f('pk_roster_defenders'))
    )
    with op.batch_alter_table('roster_defenders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_defenders_country'), ['country'], unique=False)

    op.create_table('roster_away',
    sa.Column('defender_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason_sealed', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['defender_id'], ['roster_defenders.defender_id'], name=op.f('fk_roster_away_defender_id_roster_defenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('defender_id', 'position', name=op.f('pk_roster_away'))
    )
    op.create_table('roster_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('defender_id', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('fields', sa.String(length=400), nullable=False),
    sa.Column('detail_sealed', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['defender_id'], ['roster_defenders.defender_id'], name=op.f('fk_roster_changes_defender_id_roster_defenders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_changes'))
    )
    with op.batch_alter_table('roster_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_changes_defender_id'), ['defender_id'], unique=False)

    with op.batch_alter_table('assignment_offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('override_sealed', sa.Text(), nullable=True))
        batch_op.create_index('ix_offers_defender_result_at', ['defender_id', 'result', 'offered_at'], unique=False)

    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_changes_stage_case_at', ['stage', 'case_id', 'entered_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_changes_stage_case_at')

    with op.batch_alter_table('assignment_offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_defender_result_at')
        batch_op.drop_column('override_sealed')

    with op.batch_alter_table('roster_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_changes_defender_id'))

    op.drop_table('roster_changes')
    op.drop_table('roster_away')
    with op.batch_alter_table('roster_defenders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_defenders_country'))

    op.drop_table('roster_defenders')