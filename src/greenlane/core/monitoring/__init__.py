"""AEO risk monitoring: compliance indicators of certified operators against their peers."""
