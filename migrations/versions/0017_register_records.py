"""The CNIPA register as the source of rights (issue 12 §1): register events keep their details,
claims can rest on a register event, patents record where owners/status/dates came from

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('legal_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=12), nullable=False, server_default='EXPORT'))
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('detail_key', sa.String(length=64), nullable=False, server_default=''))
        # Two licences filed on one day differ only in their details (licensee, record number).
        batch_op.drop_constraint('uq_legal_events_patent_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_legal_events_patent_id'),
                                          ['patent_id', 'event_date', 'event', 'detail_key'])
    with op.batch_alter_table('patents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owners_source', sa.String(length=12), nullable=False, server_default='USER'))
        batch_op.add_column(sa.Column('legal_status_source', sa.String(length=12), nullable=False,
                                      server_default='USER'))
        batch_op.add_column(sa.Column('dates_source', sa.String(length=12), nullable=False, server_default='USER'))
        batch_op.add_column(sa.Column('register_checked_at', sa.DateTime(), nullable=True))
    # A status set from an imported export before this revision came from the export, not a person.
    op.execute("UPDATE patents SET legal_status_source = 'EXPORT' WHERE status_checked_at IS NOT NULL")
    # Not a batch: rebuilding patent_claims on SQLite would drop the triggers that refuse overlaps.
    # SQLite adds a nullable column with its reference in place; PostgreSQL gets a named constraint.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE patent_claims ADD COLUMN register_event_id INTEGER '
                   'REFERENCES legal_events (id)')
    else:
        op.add_column('patent_claims', sa.Column('register_event_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_patent_claims_register_event_id_legal_events'), 'patent_claims',
                              'legal_events', ['register_event_id'], ['id'])
    op.create_index(op.f('ix_patent_claims_register_event_id'), 'patent_claims', ['register_event_id'])


def downgrade():
    op.drop_index(op.f('ix_patent_claims_register_event_id'), table_name='patent_claims')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE patent_claims DROP COLUMN register_event_id')
    else:
        op.drop_constraint(op.f('fk_patent_claims_register_event_id_legal_events'), 'patent_claims',
                           type_='foreignkey')
        op.drop_column('patent_claims', 'register_event_id')
    with op.batch_alter_table('patents', schema=None) as batch_op:
        batch_op.drop_column('register_checked_at')
        batch_op.drop_column('dates_source')
        batch_op.drop_column('legal_status_source')
        batch_op.drop_column('owners_source')
    with op.batch_alter_table('legal_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_legal_events_patent_id'), type_='unique')
        batch_op.create_unique_constraint('uq_legal_events_patent_id', ['patent_id', 'event_date', 'event'])
        batch_op.drop_column('detail_key')
        batch_op.drop_column('details')
        batch_op.drop_column('source')
