"""The guideline engine: what an organisation does not want said, checked fast and in plain words.

Pure Python (no Django). Typical use::

    engine = Engine.compile(load_rules(yaml_text), version="7")
    result = engine.check("Pr0ject F-a-l-c-o-n ships in May")
"""

from .engine import Engine, default_engine, validate_rule
from .rules_yaml import dump_rules, load_rules
from .types import Finding, Hit, Kind, Result, RuleError, RuleSpec, Severity, Verdict

__all__ = [
    "Engine",
    "Finding",
    "Hit",
    "Kind",
    "Result",
    "RuleError",
    "RuleSpec",
    "Severity",
    "Verdict",
    "default_engine",
    "dump_rules",
    "load_rules",
    "validate_rule",
]
