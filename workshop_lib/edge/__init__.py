"""Chapters 06 and 06b, edge deployment: a model small enough for a device, and a fleet of them.

``compression`` (distil, quantize, measure every variant), ``onnx_export`` (scikit-learn to
ONNX, with parity checks), ``litert_runtime`` (the student on TensorFlow Lite through LiteRT), and
the fleet updated over MQTT: ``fleet_manifest`` (signed update manifests), ``fleet_broker``
(mosquitto), ``fleet_device`` (one device), ``fleet_manager`` (the operator's side) and
``fleet_rollout`` (a staged rollout across the fleet).
"""
