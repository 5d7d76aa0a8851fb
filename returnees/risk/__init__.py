"""The repeat-migration flag: an explainable, versioned score."""
