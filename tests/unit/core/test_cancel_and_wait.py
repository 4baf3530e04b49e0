"""cancel_and_wait ends a task even when a client library turns the cancellation into an error
that a retrying loop survives, and never hangs the caller on a task that will not stop;
run_settled exits where asyncio.run hangs."""

from __future__ import annotations

import asyncio

from stockflow.core.lifecycle import cancel_and_wait, run_settled


async def test_a_loop_that_survives_the_first_cancellation_is_cancelled_again() -> None:
    rounds = 0

    async def retrying() -> None:
        nonlocal rounds
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if rounds == 0:  # as a client that reports a cancel as a connection error
                    rounds += 1
                    continue
                raise

    task = asyncio.create_task(retrying())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert task.cancelled() and rounds == 1


async def test_a_task_that_never_stops_is_abandoned_after_the_patience() -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await cancel_and_wait(task, patience=0.3)
    assert not task.done() and loop.time() - started < 5
    release.set()
    await cancel_and_wait(task)
    assert task.done()


async def test_an_ended_task_error_is_retrieved_not_raised() -> None:
    async def failing() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(failing())
    await asyncio.wait([task])
    await cancel_and_wait(task)
    await cancel_and_wait(None)


def test_run_settled_returns_when_a_leftover_task_needs_a_second_cancel() -> None:
    # asyncio.run would cancel the leftover once and then wait for ever (a hung exit).
    ended: list[str] = []

    async def needs_two_cancels() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            try:
                await asyncio.get_running_loop().create_future()  # never resolved
            finally:
                ended.append("leftover")

    async def main() -> str:
        asyncio.create_task(needs_two_cancels())
        await asyncio.sleep(0)
        return "served"

    assert run_settled(main(), patience=5.0) == "served"
    assert ended == ["leftover"]
