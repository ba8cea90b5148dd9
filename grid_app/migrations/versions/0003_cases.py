"""Cases, categories, photos and the append-only case event log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 00:15:15.882324

"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('group_name', sa.String(length=50), nullable=False),
    sa.Column('default_level', sa.String(length=10), nullable=False),
    sa.Column('deadline_hours', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('keywords', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('code', name=op.f('uq_category_code'))
    )
    op.create_geospatial_table('case_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('severity', sa.SmallInteger(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reporter_contact', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('max_level', sa.String(length=10), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('residential_area_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('snapped_m', sa.Float(), nullable=True),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolve_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('worker', 'public', 'superior')", name=op.f('ck_case_record_channel')),
    sa.CheckConstraint("level IN ('grid', 'community', 'street')", name=op.f('ck_case_record_level')),
    sa.CheckConstraint('severity BETWEEN 1 AND 3', name=op.f('ck_case_record_severity')),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_case_record_building_id_building')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_case_record_category_id_category')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_case_record_community_id_community')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_case_record_grid_id_grid')),
    sa.ForeignKeyConstraint(['handler_id'], ['app_user.id'], name=op.f('fk_case_record_handler_id_app_user')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['case_record.id'], name=op.f('fk_case_record_merged_into_id_case_record')),
    sa.ForeignKeyConstraint(['reporter_id'], ['app_user.id'], name=op.f('fk_case_record_reporter_id_app_user')),
    sa.ForeignKeyConstraint(['residential_area_id'], ['residential_area.id'], name=op.f('fk_case_record_residential_area_id_residential_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_record')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_case_record_idempotency_key'))
    )
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_case_record_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_case_record_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_record_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_record_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_record_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_record_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index('ix_case_record_open_deadline', ['deadline'], unique=False, postgresql_where="state IN ('collected', 'registered', 'dispatched', 'handling', 'reported')")
        batch_op.create_index(batch_op.f('ix_case_record_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_record_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_record_street_code'), ['street_code'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_state', sa.String(length=12), nullable=True),
    sa.Column('to_state', sa.String(length=12), nullable=False),
    sa.Column('from_level', sa.String(length=10), nullable=True),
    sa.Column('to_level', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_case_event_actor_id_app_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_case_event_case_id_case_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)

    op.create_table('case_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('thumb_path', sa.String(length=300), nullable=False),
    sa.Column('content_type', sa.String(length=30), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_case_photo_case_id_case_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_photo'))
    )
    with op.batch_alter_table('case_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_photo_case_id'), ['case_id'], unique=False)
    # The event log is append-only: history must survive any bug or hand-edit.
    op.execute("""
        CREATE FUNCTION case_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'case_event is append-only (% refused)', TG_OP;
        END $$;
        CREATE TRIGGER case_event_no_change BEFORE UPDATE OR DELETE ON case_event
            FOR EACH ROW EXECUTE FUNCTION case_event_append_only();
    """)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS case_event_no_change ON case_event; "
               "DROP FUNCTION IF EXISTS case_event_append_only()")
    with op.batch_alter_table('case_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_photo_case_id'))

    op.drop_table('case_photo')
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_record_street_code'))
        batch_op.drop_index(batch_op.f('ix_case_record_state'))
        batch_op.drop_index(batch_op.f('ix_case_record_reporter_id'))
        batch_op.drop_index('ix_case_record_open_deadline', postgresql_where="state IN ('collected', 'registered', 'dispatched', 'handling', 'reported')")
        batch_op.drop_index(batch_op.f('ix_case_record_grid_id'))
        batch_op.drop_index(batch_op.f('ix_case_record_deadline'))
        batch_op.drop_index(batch_op.f('ix_case_record_created_at'))
        batch_op.drop_index(batch_op.f('ix_case_record_community_id'))
        batch_op.drop_index(batch_op.f('ix_case_record_category_id'))
        batch_op.drop_geospatial_index('idx_case_record_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('case_record')
    op.drop_table('category')
