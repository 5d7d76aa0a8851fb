"""Reception: expected arrivals, registration, custody of children travelling alone."""
