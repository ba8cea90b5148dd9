"""Desk pages' data and maps: folium map builders with local assets, base maps, scope of areas."""
