"""deal disputes (negotiation, mediation, court; one open dispute per deal)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OPEN = sa.text("resolved_on IS NULL")


def upgrade():
    op.create_table('deal_disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_org_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_user_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('forum', sa.String(length=200), nullable=False),
    sa.Column('case_no', sa.String(length=60), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('escalated_on', sa.Date(), nullable=True),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('resolved_by_org_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("stage IN ('NEGOTIATION', 'CNIPA_MEDIATION', 'LITIGATION')",
                       name=op.f('ck_deal_disputes_stage_known')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('SETTLED', 'MEDIATED', 'JUDGED', 'WITHDRAWN')",
                       name=op.f('ck_deal_disputes_outcome_known')),
    sa.CheckConstraint('(resolved_on IS NULL) = (outcome IS NULL)',
                       name=op.f('ck_deal_disputes_resolved_with_outcome')),
    sa.CheckConstraint('resolved_on IS NULL OR resolved_on >= opened_on',
                       name=op.f('ck_deal_disputes_resolved_after_opened')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_disputes_deal_id_deals')),
    sa.ForeignKeyConstraint(['opened_by_org_id'], ['organisations.id'],
                            name=op.f('fk_deal_disputes_opened_by_org_id_organisations')),
    sa.ForeignKeyConstraint(['opened_by_user_id'], ['users.id'],
                            name=op.f('fk_deal_disputes_opened_by_user_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_org_id'], ['organisations.id'],
                            name=op.f('fk_deal_disputes_resolved_by_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_disputes'))
    )
    with op.batch_alter_table('deal_disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_disputes_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index('uq_deal_disputes_open_per_deal', ['deal_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    with op.batch_alter_table('deal_disputes', schema=None) as batch_op:
        batch_op.drop_index('uq_deal_disputes_open_per_deal', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index(batch_op.f('ix_deal_disputes_deal_id'))
    op.drop_table('deal_disputes')
