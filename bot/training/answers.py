"""RSVP taps decided in groups: a group commit per training.

In a burst (an announcement to a thousand cadres, "Ikut" tapped within a second) each tap in
its own transaction costs the lock, a dozen statements and a commit, one after another under
the training's lock: the answers, and the bot's event loop that shares the process, fall
behind by seconds. Here the taps on a training that arrive while its previous group is being
decided wait together and are decided next as one group (`storage.training.respond_all`):
in their order, each exactly as it would have been alone, in one transaction.

A tap is answered only once the transaction holding its answer is committed: a crash loses
no tap that was told it counted. A quiet tap is a group of one, decided at once; in a burst
(the training's previous group ended a moment ago) the next group gathers for `GATHER`
seconds first, since the event loop hands the taps over one by one and a group decided at
once would hold only the few that came meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from storage import training as training_store
from storage.db import Database
from storage.models import utcnow
from storage.training import RsvpOutcome, RsvpTap

__all__ = ["MAX_GROUP", "RsvpAnswers"]

log = logging.getLogger(__name__)

#: Taps decided in one transaction at most: a longer one would hold SQLite's write lock
#: (which the delivery engine also wants) for too long.
MAX_GROUP = 200
#: How long the next group gathers taps in a burst (a person does not see 20 ms), and how
#: soon after the previous group a tap counts as part of a burst.
GATHER = 0.02
BURST_GAP = 1.0


@dataclass
class _Waiting:
    tap: RsvpTap
    answer: asyncio.Future[RsvpOutcome]


class RsvpAnswers:
    """Decides the taps on each training in groups, one group at a time per training, in a
    worker thread (on SQLite a commit may wait for the write lock: the event loop must not)."""

    def __init__(self, database: Database, max_group: int = MAX_GROUP) -> None:
        self.database = database
        self.max_group = max_group
        self._queued: dict[int, list[_Waiting]] = {}
        self._deciding: dict[int, asyncio.Task[None]] = {}
        self._decided_at: dict[int, float] = {}  # loop time the training's last group ended

    async def respond(self, training_id: int, telegram_id: int, joining: bool) -> RsvpOutcome:
        """The outcome of this tap, once it is committed."""
        answer: asyncio.Future[RsvpOutcome] = asyncio.get_running_loop().create_future()
        tap = RsvpTap(telegram_id, joining, utcnow())
        self._queued.setdefault(training_id, []).append(_Waiting(tap, answer))
        if training_id not in self._deciding:
            self._deciding[training_id] = asyncio.create_task(
                self._decide_queued(training_id), name=f"rsvp-{training_id}"
            )
        return await answer

    async def _decide_queued(self, training_id: int) -> None:
        """Groups of what queued for this training, until nothing does."""
        loop = asyncio.get_running_loop()
        try:
            while training_id in self._queued:
                last = self._decided_at.pop(training_id, None)
                burst = last is not None and loop.time() - last < BURST_GAP
                if burst and len(self._queued[training_id]) < self.max_group:
                    await asyncio.sleep(GATHER)
                queued = self._queued.pop(training_id)
                group, rest = queued[: self.max_group], queued[self.max_group :]
                if rest:
                    self._queued[training_id] = rest
                await self._decide(training_id, group)
                self._decided_at[training_id] = loop.time()
        except BaseException:
            for waiting in self._queued.pop(training_id, []):
                waiting.answer.cancel()
            raise
        finally:
            del self._deciding[training_id]

    async def _decide(self, training_id: int, group: list[_Waiting]) -> None:
        try:
            outcomes = await asyncio.to_thread(
                self._respond_all, training_id, [w.tap for w in group]
            )
        except asyncio.CancelledError:
            for waiting in group:
                waiting.answer.cancel()
            raise
        except OperationalError as error:  # the database itself: every tap would meet it
            for waiting in group:
                _settle(waiting, error=error)
        except Exception as error:
            if len(group) == 1:
                _settle(group[0], error=error)
                return
            # Something in one tap: decide each alone, so that one fails by itself.
            log.warning("a group of %d taps failed; deciding each alone", len(group))
            for waiting in group:
                await self._decide(training_id, [waiting])
        else:
            for waiting, outcome in zip(group, outcomes, strict=True):
                _settle(waiting, outcome=outcome)

    def _respond_all(self, training_id: int, taps: list[RsvpTap]) -> list[RsvpOutcome]:
        with self.database.session() as session:
            return training_store.respond_all(session, training_id, taps)


def _settle(
    waiting: _Waiting, *, outcome: RsvpOutcome | None = None, error: BaseException | None = None
) -> None:
    """Hand the outcome (or error) to the tap's handler, unless it stopped waiting."""
    if waiting.answer.done():
        return
    if error is not None:
        waiting.answer.set_exception(error)
    else:
        assert outcome is not None
        waiting.answer.set_result(outcome)
