"""Chapter 07, CI/CD for ML: every candidate model is tested before it can serve.

``outcomes`` (the one verdict type every check, gate and stage returns), ``data_checks`` (is
the training table sound?), ``gates`` (is the candidate good enough to replace production?),
``stages`` (each step from data to promotion), ``pipeline`` (runs the stages in order and
reports), ``releases`` (rollback, version history and diffs) and ``mlflow_tracking`` (every
run and version mirrored into MLflow). Retraining (chapter 08) calls ``pipeline.run_pipeline``:
that is the seam between the two chapters.
"""
