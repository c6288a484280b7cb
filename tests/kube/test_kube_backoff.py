"""Retry pacing of the live source: what it waits after each failure, read from an
injected clock (no test here waits for a backoff), against the simulator's faults."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.feeds.status import State
from ktui.kube.backoff import Backoff
from ktui.kube.source import KubeSource, WatchSettings
from ktui.sim import SimCluster, write_kubeconfig
from tests.fixtures.clock import ManualClock
from tests.kube.test_kube_watch import Consumer, churn, settle, wait_for

# The defaults (0.8 s doubling to 10 s, healthy after 5 s), but a quick stall timeout
PACED = WatchSettings(watch_timeout=(30.0, 30.0), stall_timeout=1.0, list_timeout=10.0)


def test_backoff_doubles_to_a_10_s_cap_keeping_its_jitter() -> None:
    """Before: doubled to 30 s, where every wait was exactly 30.0 s."""
    defaults = WatchSettings()
    backoff = Backoff(defaults.backoff_initial, defaults.backoff_cap, random.Random(3))
    waits = [backoff.failure() for _ in range(12)]
    for wait, step in zip(waits, [0.8, 1.6, 3.2, 6.4] + [10.0] * 8, strict=True):
        assert 0.75 * step <= wait <= step
    assert len(set(waits[4:])) == 8  # jittered at the cap too
    backoff.reset()
    assert backoff.failure() <= 0.8


def test_retry_after_is_believed_and_does_not_step_the_backoff() -> None:
    """Before: Retry-After was only a minimum, and each 429 doubled the backoff."""
    backoff = Backoff(0.8, 10.0, random.Random(3))
    backoff.failure()
    assert [backoff.failure(retry_after=3.0) for _ in range(5)] == [3.0] * 5
    assert 1.2 <= backoff.failure() <= 1.6  # the second step, not the seventh


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(name="sim", scenario="empty", seed=7, bookmark_interval=0.3)
    sim.load(300, namespaces=["test", "other"])
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def kubeconfig(cluster: SimCluster, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", [cluster])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def consumer(kubeconfig: Path, clock: ManualClock) -> Iterator[Consumer]:
    made = Consumer(KubeSource(kubeconfig=str(kubeconfig), seed=1, settings=PACED, clock=clock))
    yield made
    made.close()


@pytest.mark.parametrize(("status", "verb"), [(429, "watch"), (503, "list"), (500, "watch")])
def test_a_throttling_server_is_waited_for_as_long_as_it_says(
    cluster: SimCluster, kubeconfig: Path, clock: ManualClock, status: int, verb: str
) -> None:
    """Before: each of these doubled the backoff (and a failing first list ignored the
    Retry-After)."""
    cluster.faults.fail_next(3, status=status, retry_after=4, verb=verb)
    c = Consumer(KubeSource(kubeconfig=str(kubeconfig), seed=1, settings=PACED, clock=clock))
    try:
        settle(c, cluster)
        wait_for(lambda: c.state == State.WATCHING)
        assert clock.waits == [4.0] * 3
        cluster.faults.fail_next(1, status=500, verb="watch")  # no Retry-After: a step
        cluster.restart()  # cuts the watch: a failure
        wait_for(lambda: len(clock.waits) >= 5)
        first, second = clock.waits[3:5]
        assert 0.6 <= first <= 0.8 and 1.2 <= second <= 1.6  # the first two steps
        churn(cluster, 5)
        settle(c, cluster)
    finally:
        c.close()


def test_a_watch_that_delivered_for_a_few_seconds_resets_the_backoff(
    cluster: SimCluster, consumer: Consumer, clock: ManualClock
) -> None:
    """Before: only two minutes without a failure reset it, so an outage after a short
    healthy stretch started at a long wait."""
    cluster.faults.fail_next(4, status=500, verb="watch")
    settle(consumer, cluster)
    wait_for(lambda: consumer.state == State.WATCHING)
    assert len(clock.waits) == 4 and clock.waits[-1] > 3.2  # four steps up
    churn(cluster, 5)
    settle(consumer, cluster)
    clock.advance(6.0)  # watching, with events, for 6 s
    cluster.restart()  # cuts the watch
    wait_for(lambda: len(clock.waits) >= 5)
    assert clock.waits[4] <= 0.8
    churn(cluster, 5)
    settle(consumer, cluster)


def test_a_short_lived_watch_does_not_reset_the_backoff(
    cluster: SimCluster, consumer: Consumer, clock: ManualClock
) -> None:
    cluster.faults.fail_next(3, status=500, verb="watch")
    settle(consumer, cluster)
    churn(cluster, 5)
    settle(consumer, cluster)
    clock.advance(1.0)  # events, but for 1 s only
    cluster.restart()
    wait_for(lambda: len(clock.waits) >= 4)
    assert 4.8 <= clock.waits[3] <= 6.4  # the fourth step


def test_every_wait_of_a_long_outage_is_at_most_10_s(
    cluster: SimCluster, consumer: Consumer, clock: ManualClock
) -> None:
    """So the source retries within 10 s of the server being back, however long it was
    away (bench/bench_recovery.py measures it)."""
    settle(consumer, cluster)
    cluster.stop()
    wait_for(lambda: len(clock.waits) >= 12, timeout=20)
    waits = clock.waits_since(0)
    assert max(waits) <= 10.0 and min(waits[-5:]) >= 7.5
    cluster.start()
    churn(cluster, 5)
    settle(consumer, cluster)
    assert consumer.mirror.resets == 0


def test_retry_now_ends_a_backoff_wait(cluster: SimCluster, kubeconfig: Path) -> None:
    """A consumer's `retry now` (the UI's `r`): the source does not sit out its wait."""
    patient = WatchSettings(stall_timeout=1.0, backoff_initial=600.0, backoff_cap=600.0)
    source = KubeSource(kubeconfig=str(kubeconfig), seed=1, settings=patient)
    c = Consumer(source)
    try:
        settle(c, cluster)
        cluster.stop()
        wait_for(lambda: c.state == State.RECONNECTING)  # now waiting 450-600 s
        cluster.start()
        churn(cluster, 5)
        source.retry_now()
        settle(c, cluster)
        assert c.state == State.WATCHING
    finally:
        c.close()
