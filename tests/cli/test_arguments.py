"""Argument values the commands share: a bad one is one usage line and exit 2."""

from __future__ import annotations

import pytest

from ktui.cli import main


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["events", "--watch", "--timeout", "soon"], "not a number of seconds: 'soon'"),
        (["events", "--watch", "--timeout", "0"], "must be positive"),
        (["record", "--timeout", "-1"], "must be positive"),
        (["record", "--timeout", "1m"], "not a number of seconds: '1m'"),
    ],
)
def test_a_bad_number_of_seconds_is_a_usage_error(
    argv: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert f"--timeout: {problem}" in error and "Traceback" not in error


def test_a_number_of_seconds_is_taken() -> None:
    from ktui.cli.arguments import positive_seconds

    assert positive_seconds(" 2.5 ") == 2.5
