"""A person's rights over what is held about them: a full export, and erasure approved by a
second supervisor (or by the case-retention job) that keeps only what statistics count."""
