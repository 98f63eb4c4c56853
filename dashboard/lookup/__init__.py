"""Counterpart lookup: search by any spelling, profiles and the printable brief."""
