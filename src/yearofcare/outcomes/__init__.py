"""Outcomes (issue 15): measures as definitions, the balanced scorecard, and evaluations of
services against matched controls. See docs/architecture.md "Outcomes"."""
