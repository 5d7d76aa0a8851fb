"""Reception centres, shelters and offices, and the country and region each belongs to."""
