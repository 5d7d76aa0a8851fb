"""The reintegration survey: a versioned instrument held as data, its waves and their scores."""
