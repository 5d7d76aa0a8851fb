"""Outcomes by cohort and exports: reads what the other packages recorded, never changes it."""
