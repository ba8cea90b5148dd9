"""Street-network input: OSM and line files to WalkNetwork."""
