"""Server jobs: the runner with its lanes (manager), where a job's state lives (store), what each kind does (kinds)."""
