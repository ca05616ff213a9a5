"""Test-wide settings: a private cache directory, so tests never read a user's cache."""

import os
import tempfile

os.environ["SYMBN_CACHE_DIR"] = tempfile.mkdtemp(prefix="symbn-test-cache-")
