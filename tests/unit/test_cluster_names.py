"""The cluster's NATS names and what its logs show of a NATS URL (no NATS needed)."""

from __future__ import annotations

import pytest

from spine_ws.cluster import Cluster, shown


def test_a_cluster_name_names_its_stream_subjects_and_buckets() -> None:
    cluster = Cluster("lab-2")
    assert (cluster.stream, cluster.events, cluster.commands) == (
        "SPINE_lab-2",
        "spine.lab-2.events",
        "spine.lab-2.commands",
    )
    assert (cluster.bucket, cluster.lease, cluster.checkpoints) == (
        "spine_lab-2",
        "spine_lab-2_lease",
        "spine_lab-2_checkpoints",
    )


@pytest.mark.parametrize("name", ["", "a.b", "a b", "*", ">", "x" * 33])
def test_a_name_nats_cannot_carry_is_refused_with_the_flag(name: str) -> None:
    with pytest.raises(ValueError, match="--cluster-name"):
        Cluster(name)


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("nats://127.0.0.1:4222", "nats://127.0.0.1:4222"),
        ("nats://alice:s3cret@nats.lab:4222", "nats://nats.lab:4222"),
        ("tls://token@nats.lab", "tls://nats.lab"),
    ],
)
def test_logs_never_show_the_credentials_of_a_nats_url(url: str, logged: str) -> None:
    assert shown(url) == logged
