"""The demo that `make run` seeds: the region's centres and one sign-in per role."""
