"""Cohorts: the rule language, two-stage selection, the cohort register, stability and volatility
(seed 004 §7.2, §7.4). Tables are declared in schemas/cohorts.py."""
