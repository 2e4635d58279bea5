"""Typed, normalized views of what AWS says. No AWS calls here: effects load, facts parse."""
