"""Chapters 03 and 04, real-time deployment: the model behind an HTTP API.

``serving`` (the service's state: model, backend, settings), ``microbatch`` (concurrent requests
scored as one batch), ``http_metrics`` (the service's Prometheus metrics), ``api_contract`` (the
documented error bodies and response models), ``api_client`` (the client the front end uses) and
``loadgen`` (closed-loop load tests).
"""
