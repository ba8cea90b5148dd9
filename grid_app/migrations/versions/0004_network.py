"""walking network and coverage results

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 00:21:13.488785

"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dataset_version',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_dataset_version'))
    )
    op.create_geospatial_table('network_node',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('osm_id', sa.BigInteger(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_node'))
    )
    with op.batch_alter_table('network_node', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_network_node_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})

    op.create_table('coverage_run',
    sa.Column('facility_type_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data_versions', sa.String(length=200), nullable=False),
    sa.Column('limit_m', sa.Float(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['facility_type_id'], ['facility_type.id'], name=op.f('fk_coverage_run_facility_type_id_facility_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('facility_type_id', name=op.f('pk_coverage_run'))
    )
    op.create_geospatial_table('network_edge',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('u', sa.BigInteger(), nullable=False),
    sa.Column('v', sa.BigInteger(), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('directed', sa.Boolean(), nullable=False),
    sa.Column('highway', sa.String(length=40), nullable=True),
    sa.Column('component', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['u'], ['network_node.id'], name=op.f('fk_network_edge_u_network_node'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['v'], ['network_node.id'], name=op.f('fk_network_edge_v_network_node'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_edge'))
    )
    with op.batch_alter_table('network_edge', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_network_edge_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_network_edge_u'), ['u'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_edge_v'), ['v'], unique=False)

    op.create_table('coverage_result',
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('facility_type_id', sa.Integer(), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_coverage_result_building_id_building'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['facility_type_id'], ['facility_type.id'], name=op.f('fk_coverage_result_facility_type_id_facility_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('building_id', 'facility_type_id', name=op.f('pk_coverage_result'))
    )
    with op.batch_alter_table('coverage_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_result_facility_type_id'), ['facility_type_id'], unique=False)



def downgrade():
    with op.batch_alter_table('coverage_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_result_facility_type_id'))

    op.drop_table('coverage_result')
    with op.batch_alter_table('network_edge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_edge_v'))
        batch_op.drop_index(batch_op.f('ix_network_edge_u'))
        batch_op.drop_geospatial_index('idx_network_edge_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('network_edge')
    op.drop_table('coverage_run')
    with op.batch_alter_table('network_node', schema=None) as batch_op:
        batch_op.drop_geospatial_index('idx_network_node_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('network_node')
    op.drop_table('dataset_version')
