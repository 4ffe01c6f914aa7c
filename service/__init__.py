"""The run service beside the engine: queuing, storing, training and following runs.

The engine (modeling/) knows how to train one network; this package decides where and when:
``service.runs`` is what the pages call (submit, cancel, get), ``service.store`` keeps every run in
a database, and the runs are trained either by the warm trainer pool (``service.pool``,
``python -m service.trainer``) or by Celery workers (``service.tasks``).
"""
