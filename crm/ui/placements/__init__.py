"""Placements: the placements list, the placement page, the placement and extension forms."""
