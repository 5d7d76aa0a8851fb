"""Social workers' cases: the queue, assignment, calls and visits, and closing a case."""
