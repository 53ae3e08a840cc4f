"""Plumbing shared by every chapter; none of it is a deployment lesson of its own.

``servers`` (background servers on free ports, stopped on exit), ``benchmarking`` and ``timing``
(latency summaries and the one timing helper), ``results`` (each chapter's key figures for the
next), ``environment`` (the installed versions against the lock), ``reset`` and ``demo_ready``
(prepare or clean a classroom machine) and ``notebook_source`` (print an app one section at a
time).
"""
