"""The case record: cases, parties, stages, contract revisions, work, money, evaluations, attention.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('advocates',
    sa.Column('advocate_id', sa.String(length=40), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('name_sealed', sa.Text(), nullable=False),
    sa.Column('email_sealed', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('advocate_id', name=op.f('pk_advocates'))
    )
    with op.batch_alter_table('advocates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advocates_organization'), ['organization'], unique=False)

    op.create_table('defenders',
    sa.Column('defender_id', sa.String(length=40), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('name_sealed', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('defender_id', name=op.f('pk_defenders'))
    )
    with op.batch_alter_table('defenders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_defenders_country'), ['country'], unique=False)

    op.create_table('cases',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('origin', sa.String(length=64), nullable=False),
    sa.Column('workflow_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('advocate_id', sa.String(length=40), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('matter_type', sa.String(length=40), nullable=False),
    sa.Column('problem_code', sa.String(length=2), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=60), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('budget_cap_amount', sa.BigInteger(), nullable=True),
    sa.Column('budget_cap_currency', sa.String(length=3), nullable=True),
    sa.Column('billing_currency', sa.String(length=3), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('defender_id', sa.String(length=40), nullable=True),
    sa.Column('agreement_status', sa.String(length=16), nullable=False),
    sa.Column('agreement_envelope_id', sa.String(length=64), nullable=True),
    sa.Column('agreement_signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('outcome_decided_on', sa.Date(), nullable=True),
    sa.Column('outcome_notes_sealed', sa.Text(), nullable=True),
    sa.Column('closing_code_suggested', sa.String(length=2), nullable=True),
    sa.Column('closing_code', sa.String(length=2), nullable=True),
    sa.Column('closing_code_set_by', sa.String(length=60), nullable=True),
    sa.Column('closing_code_set_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=60), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason_sealed', sa.Text(), nullable=True),
    sa.Column('declined_reason_sealed', sa.Text(), nullable=True),
    sa.Column('client_sealed', sa.Text(), nullable=False),
    sa.Column('description_sealed', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['advocate_id'], ['advocates.advocate_id'], name=op.f('fk_cases_advocate_id_advocates')),
    sa.ForeignKeyConstraint(['defender_id'], ['defenders.defender_id'], name=op.f('fk_cases_defender_id_defenders')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_advocate_id'), ['advocate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index('ix_cases_closed_country', ['closed_at', 'country'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_country'), ['country'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_defender_id'), ['defender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_stage'), ['stage'], unique=False)

    op.create_table('assignment_offers',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('defender_id', sa.String(length=40), nullable=False),
    sa.Column('result', sa.String(length=12), nullable=False),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason_sealed', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_assignment_offers_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'position', name=op.f('pk_assignment_offers'))
    )
    with op.batch_alter_table('assignment_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_offers_defender_id'), ['defender_id'], unique=False)

    op.create_table('attention_episodes',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=80), nullable=False),
    sa.Column('error_type', sa.String(length=60), nullable=False),
    sa.Column('blocking', sa.Boolean(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_sealed', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_attention_episodes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'position', name=op.f('pk_attention_episodes'))
    )
    op.create_table('case_services',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('service', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_case_services_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'service', name=op.f('pk_case_services'))
    )
    op.create_table('contract_revisions',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approvals', sa.String(length=60), nullable=False),
    sa.Column('hourly_rate_amount', sa.BigInteger(), nullable=False),
    sa.Column('hourly_rate_currency', sa.String(length=3), nullable=False),
    sa.Column('hours_cap', sa.Integer(), nullable=True),
    sa.Column('expense_cap_amount', sa.BigInteger(), nullable=True),
    sa.Column('expense_cap_currency', sa.String(length=3), nullable=True),
    sa.Column('envelope_id', sa.String(length=64), nullable=True),
    sa.Column('envelope_status', sa.String(length=12), nullable=True),
    sa.Column('signed', sa.Boolean(), nullable=False),
    sa.Column('documents_uri', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_contract_revisions_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'number', name=op.f('pk_contract_revisions'))
    )
    op.create_table('evaluations',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('defender_id', sa.String(length=40), nullable=True),
    sa.Column('communication', sa.Integer(), nullable=False),
    sa.Column('quality', sa.Integer(), nullable=False),
    sa.Column('timeliness', sa.Integer(), nullable=False),
    sa.Column('overall', sa.Integer(), nullable=False),
    sa.Column('would_work_again', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comments_sealed', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_evaluations_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'role', name=op.f('pk_evaluations'))
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluations_defender_id'), ['defender_id'], unique=False)

    op.create_table('invoice_status_changes',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('report_number', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_invoice_status_changes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'report_number', 'position', name=op.f('pk_invoice_status_changes'))
    )
    op.create_table('invoices',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('report_number', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_usd', sa.BigInteger(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('hosted_url_sealed', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_invoices_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'report_number', name=op.f('pk_invoices')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_invoices_invoice_id'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_issued_at'), ['issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_status'), ['status'], unique=False)

    op.create_table('ledes_files',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('report_number', sa.Integer(), nullable=False),
    sa.Column('text_sealed', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_ledes_files_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'report_number', name=op.f('pk_ledes_files'))
    )
    op.create_table('payouts',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('report_number', sa.Integer(), nullable=False),
    sa.Column('defender_id', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_usd', sa.BigInteger(), nullable=True),
    sa.Column('reference_sealed', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_payouts_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'report_number', name=op.f('pk_payouts'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_defender_id'), ['defender_id'], unique=False)
        batch_op.create_index('ix_payouts_defender_status', ['defender_id', 'status'], unique=False)

    op.create_table('priced_lines',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('report_number', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('source_amount', sa.BigInteger(), nullable=True),
    sa.Column('source_currency', sa.String(length=3), nullable=True),
    sa.Column('description_sealed', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_priced_lines_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'report_number', 'line', name=op.f('pk_priced_lines'))
    )
    op.create_table('report_approvals',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('report_number', sa.Integer(), nullable=False),
    sa.Column('approved_by', sa.String(length=60), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('exchange_rates', sa.String(length=400), nullable=False),
    sa.Column('invoice_amount', sa.BigInteger(), nullable=False),
    sa.Column('invoice_currency', sa.String(length=3), nullable=False),
    sa.Column('payout_amount', sa.BigInteger(), nullable=False),
    sa.Column('payout_currency', sa.String(length=3), nullable=False),
    sa.Column('adjustments_sealed', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_report_approvals_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'report_number', name=op.f('pk_report_approvals'))
    )
    op.create_table('report_expenses',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('report_number', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('expense_code', sa.String(length=8), nullable=False),
    sa.Column('description_sealed', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_report_expenses_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'report_number', 'line', name=op.f('pk_report_expenses'))
    )
    op.create_table('report_hours',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('report_number', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('worked_on', sa.Date(), nullable=False),
    sa.Column('hours_tenths', sa.Integer(), nullable=False),
    sa.Column('task_code', sa.String(length=8), nullable=False),
    sa.Column('activity_code', sa.String(length=8), nullable=False),
    sa.Column('description_sealed', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_report_hours_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'report_number', 'line', name=op.f('pk_report_hours'))
    )
    op.create_table('reports',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_by', sa.String(length=60), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hours_tenths', sa.Integer(), nullable=False),
    sa.Column('note_sealed', sa.Text(), nullable=True),
    sa.Column('change_reasons_sealed', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_reports_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'number', name=op.f('pk_reports'))
    )
    op.create_table('stage_changes',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_stage_changes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'position', name=op.f('pk_stage_changes'))
    )
    op.create_table('tasks',
    sa.Column('case_id', sa.String(length=20), nullable=False),
    sa.Column('task_id', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('description_sealed', sa.Text(), nullable=False),
    sa.Column('notes_sealed', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_tasks_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'task_id', name=op.f('pk_tasks'))
    )


def downgrade() -> None:
    op.drop_table('tasks')
    op.drop_table('stage_changes')
    op.drop_table('reports')
    op.drop_table('report_hours')
    op.drop_table('report_expenses')
    op.drop_table('report_approvals')
    op.drop_table('priced_lines')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index('ix_payouts_defender_status')
        batch_op.drop_index(batch_op.f('ix_payouts_defender_id'))

    op.drop_table('payouts')
    op.drop_table('ledes_files')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_status'))
        batch_op.drop_index(batch_op.f('ix_invoices_issued_at'))

    op.drop_table('invoices')
    op.drop_table('invoice_status_changes')
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluations_defender_id'))

    op.drop_table('evaluations')
    op.drop_table('contract_revisions')
    op.drop_table('case_services')
    op.drop_table('attention_episodes')
    with op.batch_alter_table('assignment_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_offers_defender_id'))

    op.drop_table('assignment_offers')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_stage'))
        batch_op.drop_index(batch_op.f('ix_cases_opened_at'))
        batch_op.drop_index(batch_op.f('ix_cases_defender_id'))
        batch_op.drop_index(batch_op.f('ix_cases_country'))
        batch_op.drop_index('ix_cases_closed_country')
        batch_op.drop_index(batch_op.f('ix_cases_closed_at'))
        batch_op.drop_index(batch_op.f('ix_cases_advocate_id'))

    op.drop_table('cases')
    with op.batch_alter_table('defenders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_defenders_country'))

    op.drop_table('defenders')
    with op.batch_alter_table('advocates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advocates_organization'))

    op.drop_table('advocates')
