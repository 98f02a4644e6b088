"""Experience libraries: pure lesson logic (lessons), the versioned store (store), learning-run records (runs)."""
