"""Walkthroughs (referral, escalation) defined as YAML data and rendered into messages."""
