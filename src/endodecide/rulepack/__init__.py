"""The rule pack: schema, condition language, checks and compilation of ``rules/``."""

from endodecide.rulepack.load import default_rules_dir, load_pack, pack_at
from endodecide.rulepack.model import Example, Rule, RulePack

__all__ = ["Example", "Rule", "RulePack", "default_rules_dir", "load_pack", "pack_at"]
