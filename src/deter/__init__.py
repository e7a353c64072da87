"""Deter: focused deterrence violence-reduction programmes."""

__version__ = "0.1.0"
