"""The coverage colours, shared by the folium layers and the SQL of the vector tiles."""

UNCOVERED = "#dc2626"
NO_RESIDENTS = "#d1d5db"
UNSNAPPED = "#7c3aed"  # a home too far from any path to be routed: shown, not guessed
NO_FACILITY = "#9ca3af"  # the type has no facility at all: not "uncovered", unknown
# Covered homes by thirds of the threshold: nearest first.
COVERED = ("#166534", "#22c55e", "#bef264")
