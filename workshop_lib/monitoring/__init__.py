"""Chapter 08, monitoring: is the model still healthy, and who hears about it when it is not?

``model_health`` (drift tests on inputs, performance on delayed labels, review samples),
``drift_reports`` (the same with evidently), ``ops_metrics`` (the service's traffic, errors and
latency from its metrics page), ``prometheus_server`` (a real Prometheus scraping the service) and
``alerts`` (rules that fire and what they trigger). It reads what the other chapters write through
one seam: the prediction log (``workshop_lib.prediction_log``).
"""
