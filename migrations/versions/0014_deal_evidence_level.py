"""Deals carry their evidence level (issue 12 §4); existing deals get the level their records show

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_level', sa.String(length=16), nullable=False,
                                      server_default='SELF_DECLARED'))
        batch_op.create_index(batch_op.f('ix_deals_evidence_level'), ['evidence_level'], unique=False)
    _backfill()


def _backfill():
    """market.deals.evidence.level_of as of this revision, in SQL, for the deals already recorded.

    No line verified a deal before this revision, so an existing deal is VERIFIED only as an open
    licence taken under an announcement recorded outside the declarant (the register import or its
    point); it is DOCUMENTED by a payment line, an open licence taken, or the certificate of its kind.
    Without this the public figures (verified only) would drop every such deal until its next line.
    """
    deals = sa.table('deals', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                     sa.column('declaration_id', sa.Integer), sa.column('evidence_level', sa.String))
    events = sa.table('deal_events', sa.column('deal_id', sa.Integer), sa.column('kind', sa.String))
    documents = sa.table('deal_documents', sa.column('deal_id', sa.Integer), sa.column('kind', sa.String))
    decl = sa.table('open_licence_declarations', sa.column('id', sa.Integer), sa.column('organisation_id', sa.Integer))
    lines = sa.table('declaration_events', sa.column('declaration_id', sa.Integer), sa.column('to_status', sa.String),
                     sa.column('actor_id', sa.Integer))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('organisation_id', sa.Integer))

    def line(*kinds):
        return sa.exists().where(events.c.deal_id == deals.c.id, events.c.kind.in_(kinds))

    def certificate(*kinds):
        return sa.exists().where(documents.c.deal_id == deals.c.id, documents.c.kind.in_(kinds))

    open_taken = sa.and_(deals.c.kind == 'OPEN_LICENSE', line('LICENSED'))
    documented = sa.or_(line('PAYMENT'), open_taken,
                        sa.and_(deals.c.kind == 'TRANSFER', certificate('REGISTRATION_PROOF')),
                        sa.and_(deals.c.kind == 'EQUITY', certificate('REGISTRATION_PROOF', 'CAPITAL_REGISTRATION')),
                        sa.and_(deals.c.kind.not_in(('TRANSFER', 'EQUITY')), certificate('FILING_PROOF')))
    announced_by_others = sa.exists(
        sa.select(lines.c.declaration_id).select_from(
            lines.join(decl, decl.c.id == lines.c.declaration_id).outerjoin(users, users.c.id == lines.c.actor_id))
        .where(lines.c.declaration_id == deals.c.declaration_id, lines.c.to_status == 'ANNOUNCED',
               sa.or_(lines.c.actor_id.is_(None), users.c.organisation_id != decl.c.organisation_id)))
    bind = op.get_bind()
    bind.execute(deals.update().where(documented).values(evidence_level='DOCUMENTED'))
    bind.execute(deals.update().where(open_taken, announced_by_others).values(evidence_level='VERIFIED'))


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deals_evidence_level'))
        batch_op.drop_column('evidence_level')
