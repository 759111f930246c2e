"""liqsync's benchmark, by what it measures (scripts/bench runs them)."""
