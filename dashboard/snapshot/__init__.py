"""The monthly access snapshot: a 2-4 page PDF of a country's or a region's month, in the manner of OCHA's.

``content`` (what it says, as the user may see it), ``charts`` (matplotlib, offline), ``pdf`` (reportlab
layout), ``cli`` (``python -m etl snapshot``), ``download`` (the Trends page's button).
"""
