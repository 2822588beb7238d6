# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures for tests/tperf; the helpers live in tperf_common.py (a unique module name:
every folder has a conftest, so "from conftest import" would pick the wrong one)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tperf_common import *  # noqa: E402,F401,F403  (fixtures must be visible here)
