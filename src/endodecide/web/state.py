"""What a running server holds besides its database: the rule pack, the teaching profiles and
the results of evaluating them, each date's pack built once.

The engine is not shared across threads (requests run in a thread pool), so evaluation and
reloading the pack hold one lock; results are cached, so the lock is held rarely.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

from endodecide.evaluate import Evaluator, pack_info
from endodecide.profile import LoadedProfile, Profile, load_profiles
from endodecide.result import PackInfo, ProfileResult
from endodecide.rulepack import RulePack, load_pack, pack_at
from endodecide.web.store import Store

__all__ = ["ServerState", "Settings"]


@dataclass(frozen=True)
class Settings:
    """How the server was started."""

    rules: Path
    db_url: str
    profiles: Path | None = None
    as_of: dt.date | None = None  # the date new sessions default to (None: the review's)
    max_body: int = 64 * 1024


class ServerState:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._lock = threading.RLock()
        self._base = load_pack(settings.rules)
        self._packs: dict[dt.date, RulePack] = {}
        self._evaluators: dict[dt.date, Evaluator] = {}
        self._results: dict[tuple[dt.date, str], ProfileResult] = {}
        self.profiles: dict[str, LoadedProfile] = {}
        if settings.profiles is not None and settings.profiles.is_dir():
            loaded, _problems = load_profiles([settings.profiles])
            self.profiles = {Path(p.source).stem: p for p in loaded}

    @property
    def base(self) -> RulePack:
        return self._base

    @property
    def default_date(self) -> dt.date:
        return self.settings.as_of or self._base.evidence_date

    def pack(self, day: dt.date) -> RulePack:
        with self._lock:
            if day not in self._packs:
                self._packs[day] = (
                    self._base if day == self._base.evidence_date else pack_at(self._base, day)
                )
            return self._packs[day]

    def info(self, day: dt.date) -> PackInfo:
        return pack_info(self.pack(day))

    def evaluate(self, day: dt.date, profile: Profile, source: str) -> ProfileResult:
        """The result of one profile at ``day``, as ``run --explain`` gives it."""
        with self._lock:
            evaluator = self._evaluators.get(day)
            if evaluator is None:
                evaluator = self._evaluators[day] = Evaluator(self.pack(day))
            return evaluator.evaluate(profile, source, explain=True)

    def teaching_result(self, day: dt.date, profile_id: str) -> ProfileResult:
        key = (day, profile_id)
        with self._lock:
            if key not in self._results:
                loaded = self.profiles[profile_id]
                self._results[key] = self.evaluate(day, loaded.profile, loaded.source)
            return self._results[key]

    def reload(self) -> None:
        """Read the rules again (after a sign-off wrote into them)."""
        with self._lock:
            self._base = load_pack(self.settings.rules)
            self._packs.clear()
            self._evaluators.clear()
            self._results.clear()
