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


def test_a_balance_attached_by_its_descriptor_shares_the_slots() -> None:
    # what a re-executed supervisor does (process/shed.py): map the same memory again
    balance = ConnectionBalance(3)
    a, b = balance.take(), balance.take()
    assert a.may_accept(0) and b.may_accept(0)
    again = ConnectionBalance.attach(balance.fd, 3, [a.index, b.index])
    a.beat()
    assert again.last_beat(again.slot(a.index)) == balance.last_beat(a) > 0.0
    assert not again.slot(b.index).may_accept(2)  # it sees a's count of 0
    asked: list[bool] = []

    def give_up() -> bool:
        asked.append(True)
        return True

    again.slot(a.index).wait_for_gate(give_up)
    assert asked  # closed: it asked whether to give up
    balance.open_gate()
    asked.clear()
    again.slot(a.index).wait_for_gate(give_up)
    assert not asked  # opened through the other mapping: no wait at all
    c = again.take()  # the free slot, not one in use
    assert c.index not in (a.index, b.index)
