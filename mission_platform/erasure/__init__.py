"""Erasure: a freelancer or a hotel removed from every layer, their missions kept.

``suppression`` holds the plain functions (the suppression list, a person's
values, frames and texts rid of them; applied at ingestion by the raw stage);
``lake`` rewrites the lake's exports; ``mission-platform erase`` runs both,
then one publish so the warehouse changes in one transaction.
"""

from mission_platform.erasure.suppression import ErasureError, SuppressionList, suppress

__all__ = ["ErasureError", "SuppressionList", "suppress"]
