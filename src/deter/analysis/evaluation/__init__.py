"""Impact evaluation: pure functions over Polars frames (no Django).

Each module implements one design as its paper defines it and returns frozen dataclasses:
``did`` (Callaway and Sant'Anna staggered difference-in-differences, and the 2x2 case),
``meta`` (random-effects meta-analysis), ``evidence`` (the published focused-deterrence
evidence base), ``synthetic_control`` (Abadie and Gardeazabal, with placebos in space),
``its`` (segmented Poisson interrupted time series), ``matched`` (propensity-score and
coarsened exact matching with balance tables) and ``power`` (minimum detectable
effect and expected harm prevented).  See docs/evaluation.md and ADR 11.
"""
