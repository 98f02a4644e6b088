"""Jobs that outlive the operator: a worker thread per job (follow.py, no bpy) and the one
main-thread timer that drains their queues and applies results (poller.py)."""
