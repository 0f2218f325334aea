"""Processes: the supervisor, forked workers, load balance, memory, warm-up, worker services."""
