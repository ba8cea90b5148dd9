"""The hierarchy of places: codes, locating points, GCJ-02, validation and the importer."""
