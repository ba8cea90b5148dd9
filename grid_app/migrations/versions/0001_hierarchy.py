"""Hierarchy (street, community, grid, residential area, building, party organisation) and facilities.

Revision ID: 76a204ab2cee
Revises: 
Create Date: 2026-11-24 00:09:07.918573

"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute('CREATE EXTENSION IF NOT EXISTS postgis')
    op.create_table('facility_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('circle_minutes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_type')),
    sa.UniqueConstraint('code', name=op.f('uq_facility_type_code'))
    )
    op.create_geospatial_table('street',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_street')),
    sa.UniqueConstraint('code', name=op.f('uq_street_code'))
    )
    with op.batch_alter_table('street', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_street_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})

    op.create_geospatial_table('community',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['street_id'], ['street.id'], name=op.f('fk_community_street_id_street')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community')),
    sa.UniqueConstraint('code', name=op.f('uq_community_code'))
    )
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_community_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_community_street_id'), ['street_id'], unique=False)

    op.create_geospatial_table('facility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_facility_community_id_community')),
    sa.ForeignKeyConstraint(['type_id'], ['facility_type.id'], name=op.f('fk_facility_type_id_facility_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility')),
    sa.UniqueConstraint('code', name=op.f('uq_facility_code'))
    )
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_facility_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_facility_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_facility_type_id'), ['type_id'], unique=False)

    op.create_geospatial_table('grid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('workers', sa.Text(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_grid_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid')),
    sa.UniqueConstraint('code', name=op.f('uq_grid_code'))
    )
    with op.batch_alter_table('grid', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_grid_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_grid_community_id'), ['community_id'], unique=False)

    op.create_geospatial_table('residential_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_residential_area_community_id_community')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_residential_area_grid_id_grid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residential_area')),
    sa.UniqueConstraint('code', name=op.f('uq_residential_area_code'))
    )
    with op.batch_alter_table('residential_area', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_residential_area_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_residential_area_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residential_area_grid_id'), ['grid_id'], unique=False)

    op.create_geospatial_table('building',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('residential_area_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('residents >= 0 AND households >= 0', name=op.f('ck_building_non_negative_people')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_building_community_id_community')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_building_grid_id_grid')),
    sa.ForeignKeyConstraint(['residential_area_id'], ['residential_area.id'], name=op.f('fk_building_residential_area_id_residential_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building')),
    sa.UniqueConstraint('code', name=op.f('uq_building_code'))
    )
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_building_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_building_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_building_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_building_residential_area_id'), ['residential_area_id'], unique=False)

    op.create_table('party_organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('secretary', sa.String(length=50), nullable=True),
    sa.Column('members', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('residential_area_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('党委', '党总支', '党支部', '党小组')", name=op.f('ck_party_organisation_kind')),
    sa.CheckConstraint('num_nonnulls(community_id, residential_area_id, building_id) = 1', name=op.f('ck_party_organisation_one_owner')),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_party_organisation_building_id_building'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_party_organisation_community_id_community')),
    sa.ForeignKeyConstraint(['residential_area_id'], ['residential_area.id'], name=op.f('fk_party_organisation_residential_area_id_residential_area'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_organisation'))
    )
    with op.batch_alter_table('party_organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_organisation_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_organisation_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_organisation_residential_area_id'), ['residential_area_id'], unique=False)



def downgrade():
    with op.batch_alter_table('party_organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_organisation_residential_area_id'))
        batch_op.drop_index(batch_op.f('ix_party_organisation_community_id'))
        batch_op.drop_index(batch_op.f('ix_party_organisation_building_id'))

    op.drop_table('party_organisation')
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_building_residential_area_id'))
        batch_op.drop_index(batch_op.f('ix_building_grid_id'))
        batch_op.drop_index(batch_op.f('ix_building_community_id'))
        batch_op.drop_geospatial_index('idx_building_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('building')
    with op.batch_alter_table('residential_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residential_area_grid_id'))
        batch_op.drop_index(batch_op.f('ix_residential_area_community_id'))
        batch_op.drop_geospatial_index('idx_residential_area_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('residential_area')
    with op.batch_alter_table('grid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_community_id'))
        batch_op.drop_geospatial_index('idx_grid_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('grid')
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_type_id'))
        batch_op.drop_index(batch_op.f('ix_facility_community_id'))
        batch_op.drop_geospatial_index('idx_facility_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('facility')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_street_id'))
        batch_op.drop_geospatial_index('idx_community_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('community')
    with op.batch_alter_table('street', schema=None) as batch_op:
        batch_op.drop_geospatial_index('idx_street_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('street')
    op.drop_table('facility_type')
