"""The connection balance between forked workers, in-process."""

from __future__ import annotations

from pyfunc_scoring_server.process.balance import ConnectionBalance


def test_a_worker_accepts_unless_it_is_more_than_one_ahead_of_the_least_loaded() -> None:
    balance = ConnectionBalance(3)
    a, b, c = balance.take(), balance.take(), balance.take()
    assert a.may_accept(0) and b.may_accept(0) and c.may_accept(0)
    assert a.may_accept(1)  # one ahead: still accepts
    assert not a.may_accept(2)  # two ahead of b and c: lets them take the next connection
    assert b.may_accept(1) and c.may_accept(1)
    assert a.may_accept(2)  # the others caught up
    assert c.may_accept(0)  # the least loaded always accepts


def test_a_dead_workers_slot_never_holds_the_others_back() -> None:
    balance = ConnectionBalance(2)
    a, b = balance.take(), balance.take()
    assert b.may_accept(0)
    assert not a.may_accept(5)
    balance.release(b)  # b died: its empty slot must not look like the least loaded worker
    assert a.may_accept(5)
    replacement = balance.take()
    assert replacement.index == b.index
    assert replacement.may_accept(0) and not a.may_accept(5)
