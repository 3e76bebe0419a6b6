"""Policy Advisor's benchmark: speed and footprint, side by side with llama-index's default pipeline.

Run it with ``./benchmarks/run`` (or ``.venv/bin/python -m benchmarks``); ``--help`` lists the
options. README, "Performance", says what each figure means.
"""
