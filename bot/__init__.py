"""Library behind the safeguarding guidance bot: knowledge retrieval, walkthrough flows, gap log."""
