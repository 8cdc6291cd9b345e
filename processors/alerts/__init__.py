"""Alert rules and their evaluation, as pure functions over the article model.

Public surface: :func:`load_rules`, :func:`candidates`, :func:`fold`, :class:`Folder`.
The Faust agent (``processors.agents.alert``) and ``wirewatch alerts test`` share them.
"""

from processors.alerts.dedupe import Candidate, fold, statement_id, throttle_key
from processors.alerts.evaluate import Folder, candidates
from processors.alerts.loader import default_rules_path, load_rules, parse_rules
from processors.alerts.rules import Rule, RuleSet

__all__ = [
    "Candidate",
    "Folder",
    "Rule",
    "RuleSet",
    "candidates",
    "default_rules_path",
    "fold",
    "load_rules",
    "parse_rules",
    "statement_id",
    "throttle_key",
]
