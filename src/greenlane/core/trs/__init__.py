"""Time Release Study: event logs of consignments turned into release-time metrics (WCO TRS)."""
