"""Calibration: the workflows that judge and fit the model through the API.

- ``check``    the anchor check: a simulation against every published figure it can express
- ``fit``      fits of the stochastic parameters to history; writes the fitted values that
  ``scenarios/`` reads as data (``scenarios/data/fitted.yaml``)
- ``history``  the historical data, loaded offline from installed packages
- ``replay``   a historical episode simulated and compared with what happened

The data these workflows judge against (anchors, priors, fitted values) live in
``aicapex.scenarios``, which every run needs; this package sits above the API.
"""
