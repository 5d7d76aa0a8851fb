"""People registered twice: the nightly search for likely pairs, the supervisors' review, and
merging two records into one (undone within MERGE_UNDO_DAYS)."""
