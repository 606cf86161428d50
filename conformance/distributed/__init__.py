"""Programs the distributed conformance tests run in processes of their own (launcher, device flags)."""
