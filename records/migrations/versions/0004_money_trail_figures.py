"""The money trail of a forgotten case: Stripe's invoice figures and what finance recorded of a payout.

Invoices keep Stripe's total, amount paid and remaining, credit notes and refunds (review M6), so the record's
paid and outstanding figures equal the case's; payouts keep the second approver (four eyes) and, for a manual
transfer, the day it was paid and the amount received and fees (review m4). Older rows hold NULL (or 0), as a
case does for invoices issued before those figures were kept.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('total', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('amount_paid', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('amount_remaining', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('credited', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refunded', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('received_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('received_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('fees_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('fees_currency', sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        for column in ('fees_currency', 'fees_amount', 'received_currency', 'received_amount', 'paid_on',
                       'approved_by'):
            batch_op.drop_column(column)
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        for column in ('refunded', 'credited', 'amount_remaining', 'amount_paid', 'total'):
            batch_op.drop_column(column)
