"""Block declarations, one module per category; each module registers its specs on import."""
