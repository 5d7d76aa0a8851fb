"""Work that needs a person: what the social workers' queue is made of."""
