"""The rule pack: schema, condition language, checks and compilation of ``rules/``."""

from endodecide.rulebook.load import default_rules_dir, load_rulebook
from endodecide.rulebook.model import Example, Rule, RulePack

__all__ = ["Example", "Rule", "RulePack", "default_rules_dir", "load_rulebook"]
