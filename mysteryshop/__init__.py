"""mysteryshop: mystery-shopping and journey-mapping test harness for customer support."""

__version__ = "0.1.0"
