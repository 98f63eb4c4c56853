"""Geography: admin areas and regions, P-code gazetteers, boundaries."""
