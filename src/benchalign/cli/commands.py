"""Import every command module so that its commands register on the group."""

from . import (  # noqa: F401
    check_cmd,
    datasets_cmd,
    demo_cmd,
    evaluate_cmd,
    export_cmd,
    fit_cmd,
    names_cmd,
    populations_cmd,
    prune_cmd,
    report_cmd,
    score_cmd,
    simulate_cmd,
    suggest_cmd,
)
