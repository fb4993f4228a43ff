"""The workshop wing: the profile space derived from the rule pack, coverage of it, the pack's
lint, the diff of two packs, and the clinical safety invariants checked on results."""
