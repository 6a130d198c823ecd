"""Lot deposits are payments of a registration, not of a deal (issue 14)

A deposit (保证金) is paid before any deal exists: payments.deal_id becomes nullable, a payment may
belong to a lot registration instead, and the database holds each payment to exactly one owner.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_id', sa.Integer(), nullable=True))
        batch_op.alter_column('deal_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_payments_registration_id'), ['registration_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payments_registration_id_lot_registrations'),
                                    'lot_registrations', ['registration_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_payments_one_owner'), '(deal_id IS NULL) <> (registration_id IS NULL)')


def downgrade():
    op.execute("DELETE FROM payments WHERE deal_id IS NULL")
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payments_one_owner'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_payments_registration_id_lot_registrations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payments_registration_id'))
        batch_op.alter_column('deal_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('registration_id')
