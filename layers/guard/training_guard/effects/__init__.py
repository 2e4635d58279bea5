"""The only code that calls AWS: loading facts, stopping jobs, repairing rules, publishing."""
