"""The party side of the grid (双报到): units, members, their derived organisations, registration, cards."""
