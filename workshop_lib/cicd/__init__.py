"""Chapter 07, CI/CD for ML: every candidate model is tested before it can serve.

``data_checks`` (is the training table sound?), ``gates`` (is the candidate good enough to
replace production?), ``pipeline`` (the stages from data to promotion, and rollback) and
``mlflow_tracking`` (every run and version mirrored into MLflow). Retraining (chapter 08) calls
``pipeline.run_pipeline``: that is the seam between the two chapters.
"""
