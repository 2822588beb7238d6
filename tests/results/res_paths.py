# SPDX-License-Identifier: BSD-3-Clause
"""Paths for the results tests, importable without clashing with other folders' conftest modules."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
