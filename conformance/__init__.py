"""fitspec's conformance suite: every backend against the spec and the float64 reference."""
